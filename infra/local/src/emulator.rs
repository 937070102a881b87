//! The local AWS emulator (moto in server mode), started as a child process on loopback and
//! stopped when its handle is dropped, on failure and panic too.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `make emulator` installs moto's server, relative to the workspace root.
pub const DEFAULT_SERVER: &str = ".venv/bin/moto_server";

/// The launcher that runs moto's server with DynamoDB's operations serialized, as real
/// DynamoDB isolates transactions (see the script for why).
const LAUNCHER: &str = include_str!("../serialized_moto.py");

/// A failure to start the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The server program is not installed.
    #[error(
        "the AWS emulator is not installed at {0}; run `make emulator` (or `make run`/`make test`, which install it)"
    )]
    NotInstalled(PathBuf),
    /// Something else listens on the port.
    #[error(
        "port {0} on 127.0.0.1 is already in use (another emulator?); stop it or set CPOR_EMULATOR_PORT"
    )]
    PortInUse(u16),
    /// It could not be started.
    #[error("could not start the AWS emulator: {0}")]
    Start(#[from] std::io::Error),
    /// It did not listen in time.
    #[error("the AWS emulator did not answer on {0} within {1:?}; its log is {2}")]
    NotReady(SocketAddr, Duration, String),
}

/// A running emulator. Dropping it stops the process.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    addr: SocketAddr,
    /// The launcher written beside the log for this server, removed when it stops.
    launcher: PathBuf,
}

/// Finds the emulator's server program: `CPOR_MOTO_SERVER`, else `.venv/bin/moto_server` in
/// the workspace (found from this crate's source directory or the current directory).
pub fn server_program() -> PathBuf {
    if let Some(path) = std::env::var_os("CPOR_MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidate = workspace.join(DEFAULT_SERVER);
    if candidate.exists() {
        return candidate;
    }
    PathBuf::from(DEFAULT_SERVER)
}

/// A free TCP port on loopback.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Emulator {
    /// Starts the emulator on `127.0.0.1:port`, its output going to `log`, and waits until it
    /// accepts connections.
    pub fn start(port: u16, log: &Path) -> Result<Self, EmulatorError> {
        let program = server_program();
        if !program.exists() {
            return Err(EmulatorError::NotInstalled(program));
        }
        // Another process on the port would answer for us and hide our server's failure.
        drop(TcpListener::bind(("127.0.0.1", port)).map_err(|_| EmulatorError::PortInUse(port))?);
        let log_file = std::fs::File::create(log)?;
        // The venv's Python runs the launcher (written beside the log), which starts moto's
        // server with the same options.
        let python = program.with_file_name("python3");
        let launcher = log.with_file_name(format!("serialized_moto-{port}.py"));
        std::fs::write(&launcher, LAUNCHER)?;
        let mut command = Command::new(if python.exists() {
            python
        } else {
            PathBuf::from("python3")
        });
        command
            .arg(&launcher)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        // SAFETY: prctl is async-signal-safe; it asks the kernel to stop the emulator if this
        // process dies without running destructors (killed by a signal), so nothing is left
        // listening.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command.spawn()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut emulator = Self {
            child,
            addr,
            launcher,
        };
        let timeout = Duration::from_secs(60);
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            let exited = matches!(emulator.child.try_wait(), Ok(Some(_)));
            if exited || started.elapsed() > timeout {
                return Err(EmulatorError::NotReady(
                    addr,
                    timeout,
                    log.display().to_string(),
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        emulator.addr = addr;
        Ok(emulator)
    }

    /// Starts the emulator on a free port.
    pub fn start_on_free_port(log: &Path) -> Result<Self, EmulatorError> {
        Self::start(free_port()?, log)
    }

    /// The emulator's endpoint URL, for `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops the emulator now.
    pub fn stop(&mut self) {
        self.end_process();
        let _ = std::fs::remove_file(&self.launcher);
    }

    fn end_process(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // SIGTERM first, so that it exits cleanly; SIGKILL if it lingers.
            let pid = self.child.id() as libc::pid_t;
            // SAFETY: sending a signal to our own child's pid.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if matches!(self.child.try_wait(), Ok(Some(_))) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
