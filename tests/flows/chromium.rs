//! Headless Chromium for the browser tests: Debian's `chromium`, driven through `chromedriver`
//! with fantoccini, and axe-core run in the page. The customer's pages (`browser`) and the
//! console (`console_browser`) share it.
//!
//! `make test` installs Chromium and chromedriver (Debian's `chromium` and `chromium-driver`)
//! when they are missing. Without them the browser tests are skipped, except in CI (`CI=true`),
//! where they fail.

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Flags that make Chromium run headless here, and keep it off the network (which is closed).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-crash-reporter",
    "--disable-breakpad",
];

/// The screen a browser shows pages on, in CSS pixels.
#[derive(Debug, Clone, Copy)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
    /// Emulates a phone (its width, touch and a mobile user agent) rather than sizing a window.
    pub phone: bool,
}

/// A phone 390 pixels wide.
pub const PHONE: Screen = Screen {
    width: 390,
    height: 1100,
    phone: true,
};

/// A laptop's window.
pub const DESKTOP: Screen = Screen {
    width: 1280,
    height: 1000,
    phone: false,
};

/// Where the screenshots and logs of the last run of `suite` are kept:
/// `target/test-output/<suite>`.
pub fn output_dir(suite: &str) -> PathBuf {
    let target_tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    target_tmp
        .parent()
        .unwrap_or(target_tmp)
        .join("test-output")
        .join(suite)
}

/// A program named by the environment variable `var`, or found on `PATH`.
pub fn program(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether the tests run in CI, where nothing they need may be missing.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// chromedriver and Chromium, or None (the test is skipped, and says so) when either is missing
/// outside CI.
pub fn chromium() -> Option<(PathBuf, PathBuf)> {
    let (Some(chromedriver), Some(chromium)) = (
        program("CPOR_CHROMEDRIVER", "chromedriver"),
        program("CPOR_CHROMIUM", "chromium"),
    ) else {
        assert!(
            !in_ci(),
            "CI needs Chromium and chromedriver for the browser tests: run `make browser`"
        );
        eprintln!("SKIPPED: chromium or chromedriver is missing; `make browser` installs them");
        return None;
    };
    Some((chromedriver, chromium))
}

/// A program the test started, in a process group of its own so that it stops with every
/// process it started in turn (chromedriver's browsers) when dropped, even when the test fails,
/// and when the test process dies.
pub struct Group {
    child: Child,
}

impl Group {
    /// Starts `command`, its output going to `log`.
    pub fn spawn(mut command: Command, log: &Path) -> Self {
        let log_file = std::fs::File::create(log).expect("the log");
        command
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("the log"))
            .stderr(log_file)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe; it asks the kernel to stop the program if this
        // process dies without running destructors.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
        Self { child }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        let group = -(self.child.id() as libc::pid_t);
        // SAFETY: signalling the process group this test created: SIGTERM, then SIGKILL for
        // whatever lingers.
        unsafe {
            libc::kill(group, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        unsafe {
            libc::kill(group, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// A chromedriver process on a free loopback port, stopped with every browser it started when
/// dropped.
pub struct Chromedriver {
    process: Group,
    url: String,
    chromium: PathBuf,
    /// Each browser's profile: two browsers of one test never share one (Chromium locks it).
    /// Declared after the process: removed once the browsers have stopped.
    profiles: Profiles,
}

impl Chromedriver {
    pub async fn start(chromedriver: &Path, chromium: &Path, log: &Path) -> Self {
        let port = cpor_local::emulator::free_port().expect("a free port");
        let mut command = Command::new(chromedriver);
        command.arg(format!("--port={port}"));
        let process = Group::spawn(command, log);
        let driver = Self {
            process,
            url: format!("http://127.0.0.1:{port}"),
            chromium: chromium.to_owned(),
            profiles: Profiles::default(),
        };
        driver.wait_until_ready(log).await;
        driver
    }

    async fn wait_until_ready(&self, log: &Path) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let status = http.get(format!("{}/status", self.url)).send().await;
            if let Ok(status) = status {
                let ready: Value = status.json().await.unwrap_or_default();
                if ready["value"]["ready"] == true {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "chromedriver did not start; see {}",
                log.display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A browser session of its own (its own profile, so its own storage): headless, on
    /// `screen`, asking for pages in `languages` (an Accept-Language list, `de-DE,de`).
    pub async fn browser(&self, screen: Screen, languages: &str) -> Client {
        static SESSIONS: AtomicUsize = AtomicUsize::new(0);
        let profile = std::env::temp_dir().join(format!(
            "cpor-chromium-{}-{}",
            self.process.id(),
            SESSIONS.fetch_add(1, Ordering::Relaxed)
        ));
        if let Ok(mut profiles) = self.profiles.0.lock() {
            profiles.push(profile.clone());
        }
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut options = json!({
            "binary": self.chromium,
            "args": args,
            "prefs": { "intl.accept_languages": languages }
        });
        if screen.phone {
            options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": screen.width, "height": screen.height, "pixelRatio": 1.0 }
            });
        } else if let Some(args) = options["args"].as_array_mut() {
            args.push(json!(format!(
                "--window-size={},{}",
                screen.width, screen.height
            )));
        }
        let capabilities = json!({ "browserName": "chrome", "goog:chromeOptions": options });
        let Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object")
        };
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

/// The browsers' profiles, removed when dropped.
#[derive(Default)]
struct Profiles(Mutex<Vec<PathBuf>>);

impl Drop for Profiles {
    fn drop(&mut self) {
        if let Ok(profiles) = self.0.lock() {
            for profile in profiles.iter() {
                let _ = std::fs::remove_dir_all(profile);
            }
        }
    }
}

/// Numbered screenshots of the pages the browser shows.
pub struct Screenshots {
    pub dir: PathBuf,
    pub taken: usize,
}

impl Screenshots {
    /// Screenshots in `dir`, emptied first.
    pub fn new(dir: PathBuf) -> Self {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the output folder");
        Self { dir, taken: 0 }
    }

    pub async fn take(&mut self, browser: &Client, name: &str) -> PathBuf {
        self.taken += 1;
        let path = self.dir.join(format!("{:02}-{name}.png", self.taken));
        let png = browser.screenshot().await.expect("a screenshot");
        std::fs::write(&path, png).expect("the screenshot is written");
        println!("screenshot: {}", path.display());
        path
    }
}

/// axe-core (`make browser` fetches it into `.venv/axe`), or `CPOR_AXE`.
pub fn axe_source() -> String {
    let path = std::env::var_os("CPOR_AXE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/axe/axe.min.js"),
        PathBuf::from,
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is missing at {} ({e}): run `make browser`",
            path.display()
        )
    })
}

/// The page in the browser has no accessibility violation that axe-core finds under WCAG 2.1
/// A and AA and its best practices. (WebDriver runs axe outside the page's CSP, which forbids
/// every script of the page's own.)
pub async fn accessible(browser: &Client, axe: &str, what: &str) {
    browser
        .execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .unwrap_or_else(|e| panic!("axe-core could not be loaded in {what}: {e}"));
    let violations = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag',
                 values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
               .then(r => done(r.violations.map(v => ({ id: v.id, impact: v.impact,
                   help: v.help, nodes: v.nodes.map(n => n.html) }))))
               .catch(e => done([{ id: 'axe-error', help: String(e) }]));",
            vec![],
        )
        .await
        .unwrap_or_else(|e| panic!("axe-core did not run in {what}: {e}"));
    assert_eq!(violations, json!([]), "{what}: accessibility violations");
}
