//! The console in a real browser: partners and reviewers sign in (with the local stack's sign-in
//! form, or at a real OpenID provider on loopback: `tests/oidc`), submit, answer, upload and
//! decide through the screens, in headless Chromium driven through chromedriver
//! (`crate::chromium`), against a local stack of their own that serves the built console at
//! `/console/`, from the same origin as the API.
//!
//! Controls are found as people and assistive technology find them: by the accessible name and
//! role that Chromium computes for them (WebDriver's computed label and role), with the English
//! names the console fixes for its headings, fields and buttons. What the browser did is then
//! checked through the API as well.
//!
//! The console is built first by `make console` (its packages installed from the lock file when
//! missing, a build when a source or openapi.yaml changed; `make test` builds it before the
//! tests too). Without Node.js, or without Chromium, the tests are skipped, except in CI.
//! Screenshots go to `target/test-output/console/`.

use crate::chromium::{self, Chromedriver, DESKTOP, PHONE, Screen, Screenshots, accessible};
use authorize_caller::oidc::{Provider, TrustedIssuer};
use cpor_domain::ReviewPolicy;
use cpor_local::LocalSettings;
use cpor_tests::*;
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const ALICE: &str = "reviewer-alice";
const BOB: &str = "reviewer-bob";

/// How long a screen may take to show what a test waits for.
const WAIT: Duration = Duration::from_secs(30);

/// The six moves a partner's admin may have on a claim.
const PARTNER_ACTIONS: [&str; 6] = [
    "Respond",
    "Dispute",
    "Add newer proof",
    "Upload document",
    "Correct customer contact",
    "Withdraw",
];

// ----- the console, built and served ------------------------------------------------------------

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Builds the console once per test process with `make console`, which installs its packages
/// (`npm ci`) when they are missing or older than the lock file and builds `console/dist` when a
/// source or the contract changed: a fresh clone needs nothing more than `cargo test`. False
/// (the test is skipped) where npm is missing, except in CI.
fn console_built() -> bool {
    static BUILT: OnceLock<bool> = OnceLock::new();
    *BUILT.get_or_init(|| {
        if chromium::program("CPOR_NPM", "npm").is_none() {
            assert!(
                !chromium::in_ci(),
                "CI needs Node.js and npm to build the console"
            );
            eprintln!("SKIPPED: npm is missing: the console cannot be built");
            return false;
        }
        let built = std::process::Command::new("make")
            .args(["--no-print-directory", "console"])
            .current_dir(repository())
            .output()
            .expect("make runs");
        assert!(
            built.status.success(),
            "make console failed:\n{}\n{}",
            String::from_utf8_lossy(&built.stdout),
            String::from_utf8_lossy(&built.stderr)
        );
        true
    })
}

/// The loopback identity provider's packages (`tests/oidc`: oidc-provider), installed from its
/// lock file once per test process when missing or older than the lock file.
fn provider_installed() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| {
        let Some(npm) = chromium::program("CPOR_NPM", "npm") else {
            assert!(!chromium::in_ci(), "CI needs npm for the identity provider");
            eprintln!("SKIPPED: npm is missing: no identity provider");
            return false;
        };
        let dir = repository().join("tests/oidc");
        let modified = |path: PathBuf| std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let installed = modified(dir.join("node_modules/.package-lock.json"));
        if installed.is_none() || installed < modified(dir.join("package-lock.json")) {
            let done = std::process::Command::new(npm)
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&dir)
                .output()
                .expect("npm runs");
            assert!(
                done.status.success(),
                "npm ci in tests/oidc failed:\n{}",
                String::from_utf8_lossy(&done.stderr)
            );
        }
        true
    })
}

/// A test's stack, browser driver and screenshots, or None when the test is to be skipped.
struct Bench {
    stack: TestStack,
    driver: Chromedriver,
    shots: Screenshots,
    started: Instant,
    name: &'static str,
}

impl Bench {
    /// A stack under the manual review policy (claims wait in review for a reviewer, as outside
    /// tests), its settings adjusted by `adjust`.
    async fn start(name: &'static str, adjust: impl FnOnce(&mut LocalSettings)) -> Option<Self> {
        let started = Instant::now();
        let (chromedriver, chromium) = chromium::chromium()?;
        if !console_built() {
            return None;
        }
        let stack = TestStack::start_with(|s| {
            s.review_policy = ReviewPolicy::Manual;
            adjust(s);
        })
        .await;
        let shots = Screenshots::new(chromium::output_dir("console").join(name));
        let log = shots.dir.join("chromedriver.log");
        let driver = Chromedriver::start(&chromedriver, &chromium, &log).await;
        Some(Self {
            stack,
            driver,
            shots,
            started,
            name,
        })
    }

    /// A browser of its own (its own storage, so its own sign-in), in English.
    async fn browser(&self, screen: Screen) -> Client {
        self.driver.browser(screen, "en-GB,en").await
    }

    /// The console's address for `path` (a screen's path, such as `claims/new`).
    fn console(&self, path: &str) -> String {
        format!("{}/console/{path}", self.stack.base)
    }

    /// Closes `browsers`, stops the driver and the stack, and says how long the test took.
    async fn finish(self, browsers: &[&Client]) {
        for browser in browsers {
            Client::clone(browser).close().await.ok();
        }
        let Self {
            stack,
            driver,
            started,
            name,
            ..
        } = self;
        drop(driver);
        stack.stop().await;
        println!("{name}: {:.1} s", started.elapsed().as_secs_f64());
    }
}

// ----- finding controls by their accessible names ------------------------------------------------

/// WebDriver's computed label or role of an element: the accessible name or role that the
/// browser's accessibility tree gives it, as a screen reader would read it.
#[derive(Debug)]
struct Computed {
    element: String,
    what: &'static str,
}

impl WebDriverCompatibleCommand for Computed {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/element/{}/{}",
            session_id.unwrap_or_default(),
            self.element,
            self.what
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::GET, None)
    }
}

async fn computed(browser: &Client, element: &Element, what: &'static str) -> String {
    let value = browser
        .issue_cmd(Computed {
            element: element.element_id().to_string(),
            what,
        })
        .await
        .unwrap_or(Value::Null);
    value.as_str().unwrap_or_default().to_owned()
}

/// The kinds of control the tests look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Button,
    Link,
    Heading,
    /// A text field, a date, a select or a file input: found by its label alone.
    Field,
    Radio,
    Checkbox,
}

impl Role {
    /// The elements that may have the role (a cheap first cut before asking the browser).
    fn css(self) -> &'static str {
        match self {
            Role::Button => "button, [role=button], input[type=submit]",
            Role::Link => "a[href], [role=link]",
            Role::Heading => "h1, h2, h3, h4, h5, h6, [role=heading]",
            Role::Field => {
                "input:not([type=radio]):not([type=checkbox]):not([type=submit]), select, textarea"
            }
            Role::Radio => "input[type=radio]",
            Role::Checkbox => "input[type=checkbox]",
        }
    }

    fn is(self, computed: &str) -> bool {
        match self {
            Role::Button => computed == "button",
            Role::Link => computed == "link",
            Role::Heading => computed == "heading",
            Role::Field => true,
            Role::Radio => computed == "radio",
            Role::Checkbox => computed == "checkbox",
        }
    }
}

/// The shown elements matching `css` whose text, label, ARIA name or placeholder holds `name`: the
/// candidates whose computed name is then asked for.
const CANDIDATES: &str = r#"
const [css, name] = arguments;
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const texts = (e) => [
  e.textContent,
  e.getAttribute("aria-label"),
  e.getAttribute("placeholder"),
  e.getAttribute("title"),
  ...Array.from(e.labels || [], (l) => l.textContent),
  ...(e.getAttribute("aria-labelledby") || "").split(/\s+/)
    .map((id) => (id && document.getElementById(id)?.textContent) || ""),
];
return Array.from(document.querySelectorAll(css))
  .filter((e) => e.getClientRects().length > 0 && texts(e).some((t) => norm(t).includes(name)));
"#;

fn element_of(browser: &Client, value: &Value) -> Option<Element> {
    let id = value.as_object()?.values().next()?.as_str()?;
    Some(Element::from_element_id(
        browser.clone(),
        id.to_owned().into(),
    ))
}

/// An accessible name that is `name`, or `name` followed by more after a space (a field's
/// "(optional)", a link's hidden file name): exact first.
fn names(computed: &str, name: &str) -> bool {
    computed == name
        || computed
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(' '))
}

/// The shown controls of `role` named `name` now, those named exactly `name` first.
async fn all_named(browser: &Client, role: Role, name: &str) -> Vec<Element> {
    let candidates = browser
        .execute(CANDIDATES, vec![json!(role.css()), json!(name)])
        .await
        .unwrap_or(Value::Null);
    let mut exact = Vec::new();
    let mut longer = Vec::new();
    for candidate in candidates.as_array().into_iter().flatten() {
        let Some(element) = element_of(browser, candidate) else {
            continue;
        };
        let label = computed(browser, &element, "computedlabel").await;
        if !names(&label, name) || !role.is(&computed(browser, &element, "computedrole").await) {
            continue;
        }
        if label == name {
            exact.push(element);
        } else {
            longer.push(element);
        }
    }
    exact.extend(longer);
    exact
}

/// What the screen says, for a failure's message.
async fn screen_text(browser: &Client) -> String {
    let url = browser
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let text = browser
        .execute("return document.body.innerText;", vec![])
        .await
        .unwrap_or(Value::Null);
    let text = text.as_str().unwrap_or_default();
    format!("{url}\n{}", text.chars().take(3000).collect::<String>())
}

/// The control of `role` named `name`, waiting for it to be shown.
async fn named(browser: &Client, role: Role, name: &str) -> Element {
    let started = Instant::now();
    loop {
        if let Some(found) = all_named(browser, role, name).await.into_iter().next() {
            return found;
        }
        assert!(
            started.elapsed() < WAIT,
            "no {role:?} named {name:?} on the screen:\n{}",
            screen_text(browser).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn click(browser: &Client, role: Role, name: &str) {
    named(browser, role, name)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("{role:?} {name:?} could not be clicked: {e}"));
}

/// Types `value` into the field labelled `label`, or chooses the option whose value is `value`
/// in a select.
async fn fill(browser: &Client, label: &str, value: &str) {
    let field = named(browser, Role::Field, label).await;
    if field.tag_name().await.unwrap_or_default() == "select" {
        // (Preact sets an option's value as a property, not an attribute: no CSS finds it)
        let index = browser
            .execute(
                "return Array.from(arguments[0].options).findIndex((o) => o.value === arguments[1]);",
                vec![serde_json::to_value(&field).unwrap(), json!(value)],
            )
            .await
            .ok()
            .and_then(|i| i.as_u64())
            .unwrap_or_else(|| panic!("{label:?} has no choice {value:?}"));
        field
            .select_by_index(index as usize)
            .await
            .unwrap_or_else(|e| panic!("{label:?} could not choose {value:?}: {e}"));
        return;
    }
    field.clear().await.expect("the field clears");
    if !value.is_empty() {
        field.send_keys(value).await.expect("the field takes keys");
    }
}

/// A date field takes the day as a person's keyboard enters it: day, month and year in the
/// order the browser's own locale shows them.
async fn fill_date(browser: &Client, label: &str, day: chrono::NaiveDate) {
    let order = browser
        .execute(
            "return new Intl.DateTimeFormat().formatToParts(new Date(2001, 1, 3))
               .map((p) => p.type).filter((t) => ['day', 'month', 'year'].includes(t)).join(' ');",
            vec![],
        )
        .await
        .expect("the browser's date format");
    let keys: String = order
        .as_str()
        .unwrap_or("month day year")
        .split(' ')
        .map(|part| match part {
            "day" => day.format("%d").to_string(),
            "month" => day.format("%m").to_string(),
            _ => day.format("%Y").to_string(),
        })
        .collect();
    let field = named(browser, Role::Field, label).await;
    field.click().await.expect("the date field takes focus");
    field
        .send_keys(&keys)
        .await
        .expect("the date field takes keys");
}

/// The screen's one `h1`, once it says `title`.
async fn heading_is(browser: &Client, title: &str) {
    let started = Instant::now();
    loop {
        let now = browser
            .execute(
                "return Array.from(document.querySelectorAll('h1'), (h) => h.textContent.trim());",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if now == json!([title]) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "the screen's h1 is {now}, not {title:?}:\n{}",
            screen_text(browser).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until the screen says `words` somewhere in its main region.
async fn says(browser: &Client, words: &str) {
    let started = Instant::now();
    loop {
        let text = browser
            .execute(
                "return document.querySelector('main')?.innerText ?? '';",
                vec![],
            )
            .await
            .unwrap_or(Value::Null);
        if text.as_str().is_some_and(|t| t.contains(words)) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "the screen never said {words:?}:\n{}",
            screen_text(browser).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The text of what `element`'s `aria-describedby` points to.
async fn description(browser: &Client, element: &Element) -> String {
    let element = serde_json::to_value(element).expect("an element reference");
    browser
        .execute(
            "return (arguments[0].getAttribute('aria-describedby') || '').split(/\\s+/)
               .map((id) => document.getElementById(id)?.textContent ?? '').join(' ');",
            vec![element],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The claim id in the page's address, after `/console/<screen>/`.
async fn id_in_address(browser: &Client, screen: &str) -> String {
    let url = browser.current_url().await.expect("an address");
    let path = url.path();
    path.strip_prefix(&format!("/console/{screen}/"))
        .unwrap_or_else(|| panic!("{path} is not a {screen} screen"))
        .to_owned()
}

/// Nothing on the screen is wider than the window: nothing to scroll sideways (a wide table
/// scrolls in its own region).
async fn fits(browser: &Client, screen: Screen, what: &str) {
    let width = browser
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap_or(Value::Null);
    assert!(
        width.as_u64().is_some_and(|w| w <= u64::from(screen.width)),
        "{what} is {width} px wide on a {} px screen",
        screen.width
    );
}

/// Runs `script` and returns what it returns, as text.
async fn browser_text(browser: &Client, script: &str) -> String {
    browser
        .execute(script, vec![])
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The page's language (`<html lang>`).
async fn lang(browser: &Client) -> String {
    browser_text(browser, "return document.documentElement.lang;").await
}

/// Presses and releases `key` on whatever has the focus.
async fn press(browser: &Client, key: Key) {
    let key: char = key.into();
    let actions = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    browser
        .perform_actions(actions)
        .await
        .expect("the key is pressed");
}

/// Types `text` into whatever has the focus, a key at a time.
async fn type_keys(browser: &Client, text: &str) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for key in text.chars() {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    browser
        .perform_actions(actions)
        .await
        .expect("the keys are typed");
}

/// Presses Tab until the focus is on the control of `role` named `name`, and returns it; fails
/// when 80 presses do not reach it.
async fn tab_to(browser: &Client, role: Role, name: &str) -> Element {
    for _ in 0..80 {
        press(browser, Key::Tab).await;
        let focused = browser.active_element().await.expect("a focused element");
        if names(&computed(browser, &focused, "computedlabel").await, name)
            && role.is(&computed(browser, &focused, "computedrole").await)
        {
            return focused;
        }
    }
    panic!(
        "Tab never reached the {role:?} {name:?}:\n{}",
        screen_text(browser).await
    );
}

/// Fills in "New claim" with a claim's request body (`claim_body`'s shape), as a person types
/// it: Program before Workload, whose choices follow the program.
async fn fill_new_claim(browser: &Client, body: &Value) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let contact = &body["customer_contact"];
    let partner = &body["partner_contact"];
    let proof = &body["proof_of_execution"];
    let fields = [
        ("Tenant ID", text(&body["tenant_id"])),
        ("Customer domain", text(&body["customer_domain"])),
        ("Program", text(&body["program"])),
        ("Workload", text(&body["workload"])),
        ("Customer name", text(&contact["name"])),
        ("Customer e-mail", text(&contact["email"])),
        ("Customer title", text(&contact["title"])),
        ("Customer language", text(&contact["locale"])),
        ("Customer time zone", text(&contact["time_zone"])),
        ("Partner contact name", text(&partner["name"])),
        ("Partner contact e-mail", text(&partner["email"])),
        ("Proof of execution reference", text(&proof["reference"])),
    ];
    for (label, value) in &fields {
        fill(browser, label, value).await;
    }
    let signed_on = text(&proof["signed_on"]).parse().expect("a day");
    fill_date(browser, "Signed on", signed_on).await;
}

/// The console's words in `language`, from its message catalogue, for the screens read in
/// other languages than English (whose names the tests spell out).
struct Words(Value);

impl Words {
    fn of(language: &str) -> Self {
        let path = repository().join(format!("console/src/i18n/{language}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Self(serde_json::from_str(&text).expect("a catalogue"))
    }

    fn get(&self, key: &str) -> String {
        self.0[key]
            .as_str()
            .unwrap_or_else(|| panic!("no message {key}"))
            .to_owned()
    }
}

// ----- signing in -----------------------------------------------------------------------------------

/// Signs in with the local sign-in form as a partner's user.
async fn sign_in_partner(bench: &Bench, browser: &Client, partner_id: &str, role: &str) {
    browser.goto(&bench.console("")).await.expect("the console");
    heading_is(browser, "Sign in").await;
    fill(browser, "Partner ID", partner_id).await;
    fill(browser, "Role", role).await;
    click(browser, Role::Button, "Sign in").await;
    heading_is(browser, "Claims").await;
}

/// Signs in with the local sign-in form as a reviewer.
async fn sign_in_reviewer(bench: &Bench, browser: &Client, reviewer: &str) {
    browser.goto(&bench.console("")).await.expect("the console");
    heading_is(browser, "Sign in").await;
    click(browser, Role::Radio, "Reviewer").await;
    fill(browser, "Reviewer ID", reviewer).await;
    click(browser, Role::Button, "Sign in").await;
    heading_is(browser, "Review queue").await;
}

// ----- claims made through the API -------------------------------------------------------------------

fn claim_id(answer: &Answer) -> String {
    assert!(answer.status.is_success(), "{}", answer.text);
    answer.json()["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn information_request() -> Value {
    json!({ "codes": ["missing_customer_signature"],
            "message": "Please send the statement of work with the customer's signature." })
}

/// Fabrikam's claim to Contoso's `workload`, asked for information by Alice.
async fn asked_for_information(stack: &TestStack, workload: &str) -> String {
    let id = claim_id(&stack.submit(FABRIKAM, &claim_body(workload)).await);
    let asked = stack
        .decide(ALICE, &id, "request-information", &information_request())
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    id
}

/// Northwind's claim to the unit of `body`, with a proof signed yesterday (newer than
/// Fabrikam's, signed 30 days ago).
fn contester_body(body: &Value) -> Value {
    let mut body = body.clone();
    body["partner_contact"] = json!({ "name": "Ana Diaz", "email": "ana@northwind.example" });
    body["proof_of_execution"] = json!({
        "reference": "https://northwind.example/sow/88.pdf",
        "signed_on": (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string(),
    });
    body
}

/// Fabrikam's claim to Contoso's Exchange in review, and Northwind's contest of it: their ids.
async fn contested(stack: &TestStack) -> (String, String) {
    let held = claim_body("exchange");
    let holder = claim_id(&stack.submit(FABRIKAM, &held).await);
    let mut contest = contester_body(&held);
    contest["contest"] = json!({ "justification": "We run Exchange for Contoso now." });
    (holder, claim_id(&stack.submit(NORTHWIND, &contest).await))
}

/// The claim's history as reviewers read it (with each decision's reviewer).
async fn reviewed_history(stack: &TestStack, id: &str) -> Vec<Value> {
    let reviewed = stack
        .review_get(ALICE, &format!("/v1/review/claims/{id}"))
        .await;
    assert_eq!(reviewed.status, 200, "{}", reviewed.text);
    reviewed.json()["history"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The reviewer of the claim's one approval.
async fn approver(stack: &TestStack, id: &str) -> Value {
    let approvals: Vec<Value> = reviewed_history(stack, id)
        .await
        .into_iter()
        .filter(|e| e["event"] == "approved")
        .collect();
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    approvals[0]["reviewer"].clone()
}

// ----- the tests -----------------------------------------------------------------------------------

/// "New claim" marks every field the API refuses at once, each beside its field with the API's
/// own message (and nothing else marked); once they are corrected, the claim is submitted and
/// the partner lands on it.
#[tokio::test]
async fn a_partner_s_new_claim_shows_every_refused_field_at_once_and_goes_through_once_corrected() {
    let Some(mut bench) = Bench::start("new-claim", |_| {}).await else {
        return;
    };
    let browser = bench.browser(DESKTOP).await;
    sign_in_partner(&bench, &browser, FABRIKAM, "incentives_admin").await;

    // WHEN an admin opens "New claim" and fills it in with five mistakes
    click(&browser, Role::Link, "New claim").await;
    heading_is(&browser, "New claim").await;
    let today = chrono::Utc::now().date_naive();
    let signed = today - chrono::Days::new(30);
    let mut request = claim_body("teams");
    request["tenant_id"] = json!("contoso");
    request["customer_contact"]["email"] = json!("giulia-at-contoso.com");
    request["partner_contact"]["email"] = json!("sam@");
    request["proof_of_execution"] = json!({
        "reference": "",
        "signed_on": (today + chrono::Days::new(10)).to_string(),
    });
    fill_new_claim(&browser, &request).await;
    click(&browser, Role::Button, "Submit claim").await;

    // THEN the API's refusal of that very request names five fields
    let refused = bench.stack.submit(FABRIKAM, &request).await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    let by_label = [
        ("tenant_id", "Tenant ID"),
        ("customer_contact.email", "Customer e-mail"),
        ("partner_contact.email", "Partner contact e-mail"),
        (
            "proof_of_execution.reference",
            "Proof of execution reference",
        ),
        ("proof_of_execution.signed_on", "Signed on"),
    ];
    let errors = refused.json()["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut fields = refused.refused_fields();
    fields.sort_unstable();
    let mut expected: Vec<&str> = by_label.iter().map(|(f, _)| *f).collect();
    expected.sort_unstable();
    assert_eq!(fields, expected, "{}", refused.text);
    // AND the screen shows the summary, naming each field as the form does, and beside each
    // of the five fields the API's message, marked as English (the API's language)
    named(&browser, Role::Heading, "There is a problem").await;
    bench.shots.take(&browser, "refused").await;
    let summary = browser_text(
        &browser,
        "return document.querySelector('.error-summary')?.innerText ?? '';",
    )
    .await;
    for (_, label) in by_label {
        assert!(summary.contains(&format!("{label}: ")), "{summary}");
    }
    let english = browser
        .execute(
            "return [document.querySelectorAll('.error-summary li [lang=en]').length,
                     document.querySelectorAll('.error-message[lang=en]').length];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(english, json!([errors.len(), by_label.len()]));
    for (field, label) in by_label {
        let control = named(&browser, Role::Field, label).await;
        assert_eq!(
            control.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true"),
            "{label} is not marked"
        );
        let shown = description(&browser, &control).await;
        for error in errors.iter().filter(|e| e["field"] == field) {
            let message = error["message"].as_str().unwrap_or_default();
            assert!(
                shown.contains(message),
                "{label} says {shown:?}, not the API's {message:?}"
            );
        }
        // (the message is in the field's own box, beside it)
        let beside = browser
            .execute(
                "const c = arguments[0]; const m = document.getElementById(c.id + '-error');
                 return m !== null && m.parentElement.contains(c);",
                vec![serde_json::to_value(&control).unwrap()],
            )
            .await
            .unwrap();
        assert_eq!(beside, json!(true), "{label}'s message is not beside it");
    }
    // AND no other field is marked
    let marked = browser
        .execute(
            "return document.querySelectorAll('[aria-invalid=true]').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(marked, json!(by_label.len()));
    assert!(bench.stack.all_claims(FABRIKAM).await.is_empty());

    // WHEN the partner corrects them and submits again
    fill(&browser, "Tenant ID", CONTOSO).await;
    fill(&browser, "Customer e-mail", "giulia@contoso.com").await;
    fill(&browser, "Partner contact e-mail", "sam@fabrikam.com").await;
    fill(
        &browser,
        "Proof of execution reference",
        "https://fabrikam.example/sow/4711.pdf",
    )
    .await;
    fill_date(&browser, "Signed on", signed).await;
    click(&browser, Role::Button, "Submit claim").await;

    // THEN the partner lands on the claim, in review
    heading_is(&browser, "Microsoft Teams — contoso.onmicrosoft.com").await;
    says(&browser, "Claim submitted.").await;
    says(&browser, "In review").await;
    bench.shots.take(&browser, "submitted").await;
    let id = id_in_address(&browser, "claims").await;
    let claim = bench.stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "submitted");
    assert_eq!(claim["tenant_id"], CONTOSO);
    assert_eq!(claim["customer_contact"]["email"], "giulia@contoso.com");
    assert_eq!(claim["customer_contact"]["time_zone"], "Europe/Rome");
    assert_eq!(claim["proof_of_execution"]["signed_on"], signed.to_string());
    assert_eq!(bench.stack.all_claims(FABRIKAM).await.len(), 1);
    bench.finish(&[&browser]).await;
}

/// A reviewer finds a claim in the "Review queue", opens it and asks the partner for
/// information: the reasons as checkboxes and a "Message", recorded as the reviewer's.
#[tokio::test]
async fn a_reviewer_opens_a_claim_from_the_queue_and_requests_information() {
    let Some(mut bench) = Bench::start("request-information", |_| {}).await else {
        return;
    };
    // GIVEN a claim in review
    let id = claim_id(&bench.stack.submit(FABRIKAM, &claim_body("teams")).await);
    let browser = bench.browser(DESKTOP).await;
    sign_in_reviewer(&bench, &browser, ALICE).await;

    // WHEN the reviewer opens it from the queue, which says when each claim entered review
    says(&browser, "Fabrikam Consulting").await;
    let columns = browser_text(
        &browser,
        "return Array.from(document.querySelectorAll('thead th'), (th) => th.innerText).join('|');",
    )
    .await;
    assert_eq!(
        columns,
        "Customer domain|Status|Program|Workload|Partner|Entered review|Due"
    );
    click(&browser, Role::Link, "contoso.onmicrosoft.com").await;
    heading_is(
        &browser,
        "Review: Microsoft Teams — contoso.onmicrosoft.com",
    )
    .await;
    assert_eq!(id_in_address(&browser, "review").await, id);
    // AND chooses "Request information", ticks two reasons and writes a message
    click(&browser, Role::Radio, "Request information").await;
    click(
        &browser,
        Role::Checkbox,
        "The customer's signature is missing",
    )
    .await;
    click(&browser, Role::Checkbox, "The workload is not evidenced").await;
    fill(
        &browser,
        "Message",
        "Please send the signed statement of work.",
    )
    .await;
    bench.shots.take(&browser, "request").await;
    click(&browser, Role::Button, "Request information").await;

    // THEN the screen says so and offers the next claim
    says(
        &browser,
        "Decision recorded: the claim is now Information requested.",
    )
    .await;
    named(&browser, Role::Link, "Next in queue").await;
    bench.shots.take(&browser, "requested").await;
    // AND the claim waits for the partner, with the reviewer's reasons and message
    let claim = bench.stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "information_requested");
    let request = &claim["review"]["information_request"];
    assert_eq!(
        request["codes"],
        json!(["missing_customer_signature", "workload_not_evidenced"])
    );
    assert_eq!(
        request["message"],
        "Please send the signed statement of work."
    );
    let history = reviewed_history(&bench.stack, &id).await;
    let last = history.last().cloned().unwrap_or_default();
    assert_eq!(last["event"], "information_requested");
    assert_eq!(last["reviewer"], ALICE);
    bench.finish(&[&browser]).await;
}

/// The partner answers a request for information from the claim: "Upload document" sends a PDF
/// from the browser straight to storage through its presigned link, and the claim shows it
/// counted once the service checked it; "Respond" sends the claim back to review.
#[tokio::test]
async fn a_partner_uploads_a_pdf_from_the_browser_and_responds_to_a_request_for_information() {
    let Some(mut bench) = Bench::start("respond-upload", |_| {}).await else {
        return;
    };
    // GIVEN a claim a reviewer asked information for
    let id = asked_for_information(&bench.stack, "teams").await;
    let pdf = bench.shots.dir.join("signed-sow.pdf");
    std::fs::write(&pdf, pdf_bytes(4096)).expect("the PDF");
    let browser = bench.browser(DESKTOP).await;
    sign_in_partner(&bench, &browser, FABRIKAM, "incentives_admin").await;

    // WHEN the partner opens it from the claims
    click(&browser, Role::Link, "contoso.onmicrosoft.com").await;
    heading_is(&browser, "Microsoft Teams — contoso.onmicrosoft.com").await;
    says(&browser, "Information requested").await;
    says(
        &browser,
        "Please send the statement of work with the customer's signature.",
    )
    .await;
    // AND uploads the signed statement of work
    click(&browser, Role::Button, "Upload document").await;
    named(&browser, Role::Field, "File")
        .await
        .send_keys(&pdf.display().to_string())
        .await
        .expect("the file is chosen");
    click(&browser, Role::Button, "Send file").await;

    // THEN storage takes it, and once the service checked it the claim counts it
    says(&browser, "signed-sow.pdf is counted.").await;
    let listed = browser
        .execute(
            "return document.querySelector('ul.documents')?.innerText ?? '';",
            vec![],
        )
        .await
        .unwrap();
    let listed = listed.as_str().unwrap_or_default();
    assert!(
        listed.contains("signed-sow.pdf") && listed.contains("Counted"),
        "{listed}"
    );
    named(&browser, Role::Link, "Download signed-sow.pdf").await;
    bench.shots.take(&browser, "counted").await;
    let claim = bench.stack.claim(FABRIKAM, &id).await;
    let documents = claim["documents"].as_array().cloned().unwrap_or_default();
    assert_eq!(documents.len(), 1, "{claim}");
    assert_eq!(documents[0]["file_name"], "signed-sow.pdf");
    assert_eq!(documents[0]["status"], "uploaded");
    assert_eq!(documents[0]["size"], 4096);

    // WHEN the partner responds
    click(&browser, Role::Button, "Respond").await;
    fill(
        &browser,
        "Message",
        "The signed statement of work is attached.",
    )
    .await;
    click(&browser, Role::Button, "Send response").await;
    // THEN the claim is back in review
    says(&browser, "Your response was sent.").await;
    says(&browser, "In review").await;
    bench.shots.take(&browser, "responded").await;
    let claim = bench.stack.claim(FABRIKAM, &id).await;
    assert_eq!(claim["status"], "submitted");
    let last = claim["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["event"], "responded");
    bench.finish(&[&browser]).await;
}

/// Another reviewer approves the answered claim: the history shows who asked, the approval is
/// recorded as theirs, and the customer's e-mail reaches the outbox.
#[tokio::test]
async fn another_reviewer_approves_and_the_customer_is_e_mailed() {
    let Some(mut bench) = Bench::start("approve", |_| {}).await else {
        return;
    };
    // GIVEN a claim Alice asked information for, and the partner's response
    let id = asked_for_information(&bench.stack, "exchange").await;
    let answered = bench
        .stack
        .partner_move(
            FABRIKAM,
            &id,
            "respond",
            &json!({ "message": "Signed statement of work attached." }),
        )
        .await;
    assert_eq!(answered.status, 200, "{}", answered.text);
    let browser = bench.browser(DESKTOP).await;
    sign_in_reviewer(&bench, &browser, BOB).await;

    // WHEN Bob opens it from the queue
    click(&browser, Role::Link, "contoso.onmicrosoft.com").await;
    heading_is(
        &browser,
        "Review: Exchange Online — contoso.onmicrosoft.com",
    )
    .await;
    // THEN its history names Alice, who asked
    says(&browser, &format!("by reviewer {ALICE}")).await;
    says(&browser, "Signed statement of work attached.").await;
    // WHEN Bob approves it with a comment
    click(&browser, Role::Radio, "Approve").await;
    fill(&browser, "Comment", "The signature is there now.").await;
    click(&browser, Role::Button, "Approve").await;
    says(&browser, "Decision recorded").await;
    bench.shots.take(&browser, "approved").await;

    // THEN the approval is Bob's, and the customer is e-mailed their link
    let claim = bench
        .stack
        .wait_for_status(FABRIKAM, &id, "awaiting_customer")
        .await;
    assert_eq!(approver(&bench.stack, &id).await, BOB);
    let mail = bench
        .stack
        .customer_outbox()
        .await
        .into_iter()
        .find(|m| m["to"][0] == "giulia@contoso.com")
        .expect("the customer's e-mail");
    let link = link_in(mail["body"].as_str().unwrap_or_default()).expect("a link");
    assert!(link.contains(&id), "{link}");
    assert_eq!(claim["customer_notification"]["status"], "sent");
    bench.finish(&[&browser]).await;
}

/// A second partner's claim to a unit another partner holds is offered a contest; the reviewer
/// sees the holder beside the contest (its partner, proof and since when it holds the unit) with
/// the newer proof marked, and "Approve" supersedes the holder.
#[tokio::test]
async fn a_contest_shows_the_holder_beside_it_with_the_newer_proof_marked_and_approve_supersedes_it()
 {
    let Some(mut bench) = Bench::start("contest", |_| {}).await else {
        return;
    };
    // GIVEN Fabrikam's claim to Contoso's Teams, in review
    let body = claim_body("teams");
    let holder = claim_id(&bench.stack.submit(FABRIKAM, &body).await);
    // WHEN Northwind claims the same unit through "New claim", with a newer proof
    let northwind = bench.browser(DESKTOP).await;
    sign_in_partner(&bench, &northwind, NORTHWIND, "incentives_admin").await;
    click(&northwind, Role::Link, "New claim").await;
    heading_is(&northwind, "New claim").await;
    fill_new_claim(&northwind, &contester_body(&body)).await;
    click(&northwind, Role::Button, "Submit claim").await;
    // THEN it is told another claim holds it, and may contest
    named(
        &northwind,
        Role::Heading,
        "Another claim holds this workload for this customer",
    )
    .await;
    fill(
        &northwind,
        "Contest",
        "We run Teams for Contoso since last month.",
    )
    .await;
    bench.shots.take(&northwind, "contest-offered").await;
    click(&northwind, Role::Button, "Submit contest").await;
    heading_is(&northwind, "Microsoft Teams — contoso.onmicrosoft.com").await;
    says(&northwind, "Contested").await;
    let contest = id_in_address(&northwind, "claims").await;
    assert_eq!(
        bench.stack.claim(NORTHWIND, &contest).await["status"],
        "contested"
    );

    // WHEN a reviewer lists the contests and opens it
    let reviewer = bench.browser(DESKTOP).await;
    sign_in_reviewer(&bench, &reviewer, ALICE).await;
    fill(&reviewer, "Status", "contested").await;
    click(&reviewer, Role::Button, "Apply filters").await;
    says(&reviewer, "Northwind Traders").await;
    click(&reviewer, Role::Link, "contoso.onmicrosoft.com").await;
    heading_is(
        &reviewer,
        "Review: Microsoft Teams — contoso.onmicrosoft.com",
    )
    .await;
    assert_eq!(id_in_address(&reviewer, "review").await, contest);
    // THEN the holder is beside it: Fabrikam, its proof, since when; the contest's proof is
    // marked newer, the holder's is not
    named(&reviewer, Role::Heading, "This claim Newer proof").await;
    let holder_heading = named(&reviewer, Role::Heading, "The claim it contests").await;
    assert_eq!(
        computed(&reviewer, &holder_heading, "computedlabel").await,
        "The claim it contests"
    );
    let beside = browser_text(
        &reviewer,
        "return [...document.querySelectorAll('h3')]
           .find((h) => h.textContent.trim() === 'The claim it contests')
           ?.closest('.panel')?.innerText ?? '';",
    )
    .await;
    for fact in [
        "Fabrikam Consulting (1234567)",
        "Holds it since",
        "https://fabrikam.example/sow/4711.pdf",
        &holder,
    ] {
        assert!(
            beside.contains(fact),
            "the holder's panel lacks {fact:?}:\n{beside}"
        );
    }
    bench.shots.take(&reviewer, "contest-review").await;
    // WHEN the reviewer approves the contest
    click(&reviewer, Role::Radio, "Approve").await;
    click(&reviewer, Role::Button, "Approve").await;
    says(&reviewer, "Decision recorded").await;
    // THEN the holder is superseded, and the unit is Northwind's
    let lost = bench.stack.claim(FABRIKAM, &holder).await;
    assert_eq!(lost["status"], "superseded");
    assert_eq!(bench.stack.lock_holders().await, [contest.clone()].into());
    bench
        .stack
        .wait_for_status(NORTHWIND, &contest, "awaiting_customer")
        .await;
    bench.finish(&[&northwind, &reviewer]).await;
}

/// Two reviewers decide the same claim in two browsers: the second is told that another
/// reviewer decided first, with the claim's status now, and nothing of theirs is recorded.
#[tokio::test]
async fn the_second_of_two_reviewers_deciding_one_claim_is_told_and_nothing_changes() {
    let Some(mut bench) = Bench::start("two-reviewers", |_| {}).await else {
        return;
    };
    // GIVEN a claim in review, open in Alice's browser and in Bob's
    let id = claim_id(&bench.stack.submit(FABRIKAM, &claim_body("teams")).await);
    let alice = bench.browser(DESKTOP).await;
    let bob = bench.browser(DESKTOP).await;
    sign_in_reviewer(&bench, &alice, ALICE).await;
    sign_in_reviewer(&bench, &bob, BOB).await;
    let title = "Review: Microsoft Teams — contoso.onmicrosoft.com";
    for browser in [&alice, &bob] {
        browser
            .goto(&bench.console(&format!("review/{id}")))
            .await
            .unwrap();
        heading_is(browser, title).await;
    }
    // WHEN Alice approves it, then Bob, who still sees it in review, rejects it
    click(&alice, Role::Radio, "Approve").await;
    click(&alice, Role::Button, "Approve").await;
    says(&alice, "Decision recorded").await;
    click(&bob, Role::Radio, "Reject").await;
    fill(&bob, "Reason", "insufficient_proof_of_execution").await;
    fill(&bob, "Message", "The statement of work is not signed.").await;
    click(&bob, Role::Button, "Reject").await;

    // THEN Bob is told another reviewer decided first, and where the claim stands now
    says(&bob, "Another reviewer decided this claim first: it is now").await;
    says(&bob, "Nothing was changed.").await;
    // AND his screen is read again: the claim as it is now, with no decision left to make
    let started = Instant::now();
    while !all_named(&bob, Role::Radio, "Reject").await.is_empty() {
        assert!(
            started.elapsed() < WAIT,
            "Bob may still decide:\n{}",
            screen_text(&bob).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bench.shots.take(&bob, "decided-first").await;
    let told = browser_text(
        &bob,
        "return document.querySelector('[role=alert]')?.innerText ?? '';",
    )
    .await;
    let claim = bench.stack.claim(FABRIKAM, &id).await;
    let now = match claim["status"].as_str() {
        Some("approved") => "Approved",
        Some("awaiting_customer") => "Waiting for the customer",
        other => panic!("the claim is {other:?}"),
    };
    // (the customer's e-mail may move it from approved to awaiting_customer meanwhile)
    assert!(
        told.contains("it is now Approved") || told.contains(&format!("it is now {now}")),
        "{told}"
    );
    // AND nothing of Bob's is recorded: Alice's approval stands alone
    let history = reviewed_history(&bench.stack, &id).await;
    assert!(
        history
            .iter()
            .all(|e| e["reviewer"] != BOB && e["event"] != "rejected"),
        "{history:?}"
    );
    assert_eq!(approver(&bench.stack, &id).await, ALICE);
    assert!(claim["review"]["rejection"].is_null(), "{claim}");
    bench.finish(&[&alice, &bob]).await;
}

/// A partner's read-only user (`incentives_user`) sees the same claims with no action at all:
/// no "New claim", and none of the moves an admin is offered on the same claim.
#[tokio::test]
async fn a_partner_s_read_only_user_sees_no_action() {
    let Some(bench) = Bench::start("read-only", |_| {}).await else {
        return;
    };
    // GIVEN a claim waiting for the partner's answer, on which an admin may move
    let id = asked_for_information(&bench.stack, "teams").await;
    let browser = bench.browser(DESKTOP).await;
    sign_in_partner(&bench, &browser, FABRIKAM, "incentives_admin").await;
    named(&browser, Role::Link, "New claim").await;
    click(&browser, Role::Link, "contoso.onmicrosoft.com").await;
    for action in ["Respond", "Upload document", "Withdraw"] {
        named(&browser, Role::Button, action).await;
    }
    click(&browser, Role::Button, "Sign out").await;
    heading_is(&browser, "Sign in").await;

    // WHEN a read-only user of the same partner signs in
    sign_in_partner(&bench, &browser, FABRIKAM, "incentives_user").await;
    says(&browser, "contoso.onmicrosoft.com").await;
    // THEN the claims have no "New claim"
    assert!(
        all_named(&browser, Role::Link, "New claim")
            .await
            .is_empty()
    );
    // AND the claim shows what it is, says the role only reads, and offers no move
    click(&browser, Role::Link, "contoso.onmicrosoft.com").await;
    heading_is(&browser, "Microsoft Teams — contoso.onmicrosoft.com").await;
    assert_eq!(id_in_address(&browser, "claims").await, id);
    says(&browser, "Information requested").await;
    says(&browser, "Your role may read claims but not change them.").await;
    for action in PARTNER_ACTIONS {
        assert!(
            all_named(&browser, Role::Button, action).await.is_empty(),
            "a read-only user is offered {action:?}"
        );
    }
    let buttons = browser_text(
        &browser,
        "return String(document.querySelectorAll('main button').length);",
    )
    .await;
    assert_eq!(buttons, "0", "buttons in a read-only user's claim");
    // AND "New claim" by its address offers no form
    browser.goto(&bench.console("claims/new")).await.unwrap();
    heading_is(&browser, "New claim").await;
    says(&browser, "Your role may read claims but not change them.").await;
    assert!(
        all_named(&browser, Role::Button, "Submit claim")
            .await
            .is_empty()
    );
    bench.finish(&[&browser]).await;
}

/// Every screen, partner's and reviewer's, in English and in Japanese, on a 390 px phone:
/// axe-core finds no violation (WCAG 2.1 A and AA, best practices), and nothing is wider than
/// the phone.
#[tokio::test]
async fn every_screen_is_accessible_in_english_and_japanese_on_a_phone() {
    let Some(mut bench) = Bench::start("accessibility", |_| {}).await else {
        return;
    };
    // GIVEN a claim waiting for the partner, and a contest of another claim in review
    let asked = asked_for_information(&bench.stack, "teams").await;
    let (holder, contest) = contested(&bench.stack).await;
    let axe = chromium::axe_source();
    let browser = bench.browser(PHONE).await;
    browser.goto(&bench.console("")).await.unwrap();
    heading_is(&browser, "Sign in").await;

    for language in ["en", "ja"] {
        let words = Words::of(language);
        if language != "en" {
            fill(&browser, "Language", language).await;
        }
        let check = async |what: &str| {
            accessible(&browser, &axe, &format!("{what} ({language})")).await;
            fits(&browser, PHONE, &format!("{what} ({language})")).await;
        };
        // The partner's screens
        heading_is(&browser, &words.get("signin.title")).await;
        check("sign in").await;
        fill(&browser, &words.get("signin.partner_id"), FABRIKAM).await;
        click(&browser, Role::Button, &words.get("signin.submit")).await;
        heading_is(&browser, &words.get("claims.title")).await;
        says(&browser, "contoso.onmicrosoft.com").await;
        check("claims").await;
        bench
            .shots
            .take(&browser, &format!("{language}-claims"))
            .await;
        click(&browser, Role::Link, &words.get("new.title")).await;
        heading_is(&browser, &words.get("new.title")).await;
        check("new claim").await;
        click(&browser, Role::Button, &words.get("new.submit")).await;
        named(&browser, Role::Heading, &words.get("common.error_summary")).await;
        check("new claim, refused").await;
        bench
            .shots
            .take(&browser, &format!("{language}-new-claim-refused"))
            .await;
        browser
            .goto(&bench.console(&format!("claims/{asked}")))
            .await
            .unwrap();
        heading_is(&browser, "Microsoft Teams — contoso.onmicrosoft.com").await;
        check("claim").await;
        click(&browser, Role::Button, &words.get("action.respond")).await;
        named(&browser, Role::Button, &words.get("action.send_response")).await;
        check("claim, responding").await;
        bench
            .shots
            .take(&browser, &format!("{language}-claim"))
            .await;
        click(&browser, Role::Button, &words.get("header.sign_out")).await;

        // The reviewer's screens
        heading_is(&browser, &words.get("signin.title")).await;
        click(&browser, Role::Radio, &words.get("signin.reviewer")).await;
        fill(&browser, &words.get("signin.reviewer_id"), ALICE).await;
        click(&browser, Role::Button, &words.get("signin.submit")).await;
        heading_is(&browser, &words.get("queue.title")).await;
        says(&browser, "Northwind Traders").await;
        check("review queue").await;
        bench
            .shots
            .take(&browser, &format!("{language}-queue"))
            .await;
        browser
            .goto(&bench.console(&format!("review/{contest}")))
            .await
            .unwrap();
        let title = words
            .get("review.title")
            .replace("{claim}", "Exchange Online — contoso.onmicrosoft.com");
        heading_is(&browser, &title).await;
        check("review of a contest").await;
        click(&browser, Role::Radio, &words.get("review.reject")).await;
        named(&browser, Role::Field, &words.get("review.reason")).await;
        check("review of a contest, rejecting").await;
        bench
            .shots
            .take(&browser, &format!("{language}-review"))
            .await;
        browser
            .goto(&bench.console(&format!("review/{holder}")))
            .await
            .unwrap();
        heading_is(&browser, &title).await;
        click(
            &browser,
            Role::Radio,
            &words.get("review.request_information"),
        )
        .await;
        named(&browser, Role::Field, &words.get("review.message")).await;
        check("review, requesting information").await;
        click(&browser, Role::Button, &words.get("header.sign_out")).await;
        heading_is(&browser, &words.get("signin.title")).await;
    }
    bench.finish(&[&browser]).await;
}

/// A whole review with the keyboard alone: signing in, opening the claim from the queue,
/// choosing "Approve", writing a comment, deciding and going on to the next claim, with Tab,
/// Enter and Space (and the arrow that moves within the sign-in's radio group), no click.
#[tokio::test]
async fn a_whole_review_is_done_with_the_keyboard_alone() {
    let Some(mut bench) = Bench::start("keyboard", |_| {}).await else {
        return;
    };
    // GIVEN two claims in review, Teams first
    let first = claim_id(&bench.stack.submit(FABRIKAM, &claim_body("teams")).await);
    let second = claim_id(&bench.stack.submit(FABRIKAM, &claim_body("intune")).await);
    let browser = bench.browser(DESKTOP).await;
    browser.goto(&bench.console("")).await.unwrap();
    heading_is(&browser, "Sign in").await;

    // WHEN the reviewer signs in with the keyboard
    tab_to(&browser, Role::Radio, "Partner").await;
    press(&browser, Key::Down).await;
    tab_to(&browser, Role::Field, "Reviewer ID").await;
    type_keys(&browser, "reviewer-kim").await;
    tab_to(&browser, Role::Button, "Sign in").await;
    press(&browser, Key::Enter).await;
    heading_is(&browser, "Review queue").await;
    says(&browser, "Fabrikam Consulting").await;
    // AND opens the oldest claim, approves it with a comment
    tab_to(&browser, Role::Link, "contoso.onmicrosoft.com").await;
    press(&browser, Key::Enter).await;
    heading_is(
        &browser,
        "Review: Microsoft Teams — contoso.onmicrosoft.com",
    )
    .await;
    assert_eq!(id_in_address(&browser, "review").await, first);
    let approve = tab_to(&browser, Role::Radio, "Approve").await;
    press(&browser, Key::Space).await;
    assert!(approve.is_selected().await.unwrap(), "Space chose Approve");
    tab_to(&browser, Role::Field, "Comment").await;
    type_keys(&browser, "Signed and dated.").await;
    tab_to(&browser, Role::Button, "Approve").await;
    bench.shots.take(&browser, "before-deciding").await;
    press(&browser, Key::Enter).await;
    says(&browser, "Decision recorded").await;
    // AND goes on to the next claim
    tab_to(&browser, Role::Link, "Next in queue").await;
    press(&browser, Key::Enter).await;

    // THEN the next claim is open, and the first was approved by the reviewer
    heading_is(
        &browser,
        "Review: Microsoft Intune — contoso.onmicrosoft.com",
    )
    .await;
    assert_eq!(id_in_address(&browser, "review").await, second);
    bench.shots.take(&browser, "next").await;
    assert_eq!(approver(&bench.stack, &first).await, "reviewer-kim");
    bench.finish(&[&browser]).await;
}

/// The queue, a review and a claim read in English and in Italian (screenshots kept under
/// `target/test-output/console/screenshots/`): the language chosen in the header applies to
/// every screen, and stays chosen after signing out.
#[tokio::test]
async fn the_queue_a_review_and_a_claim_read_in_english_and_italian() {
    let Some(mut bench) = Bench::start("screenshots", |_| {}).await else {
        return;
    };
    // GIVEN a claim waiting for the partner, with a counted document, and a contest in review
    let asked = asked_for_information(&bench.stack, "teams").await;
    let declared = bench
        .stack
        .add_document(FABRIKAM, &asked, "sow-4711.pdf", "application/pdf", 2048)
        .await
        .json();
    let stored = bench.stack.upload(&declared, pdf_bytes(2048)).await;
    assert!(stored.is_success(), "{stored}");
    let document = declared["document_id"].as_str().unwrap_or_default();
    bench
        .stack
        .wait_for_document(FABRIKAM, &asked, document, "uploaded")
        .await;
    let (_, contest) = contested(&bench.stack).await;
    let reviewer = bench.browser(DESKTOP).await;
    let partner = bench.browser(DESKTOP).await;
    sign_in_reviewer(&bench, &reviewer, ALICE).await;
    sign_in_partner(&bench, &partner, FABRIKAM, "incentives_admin").await;

    for language in ["en", "it"] {
        let words = Words::of(language);
        if language != "en" {
            fill(&reviewer, "Language", language).await;
            fill(&partner, "Language", language).await;
        }
        // The queue
        reviewer.goto(&bench.console("review")).await.unwrap();
        heading_is(&reviewer, &words.get("queue.title")).await;
        says(&reviewer, "Northwind Traders").await;
        assert_eq!(lang(&reviewer).await, language);
        bench
            .shots
            .take(&reviewer, &format!("{language}-queue"))
            .await;
        // A review: the contest, the holder beside it
        reviewer
            .goto(&bench.console(&format!("review/{contest}")))
            .await
            .unwrap();
        let title = words
            .get("review.title")
            .replace("{claim}", "Exchange Online — contoso.onmicrosoft.com");
        heading_is(&reviewer, &title).await;
        says(&reviewer, &words.get("review.holder")).await;
        bench
            .shots
            .take(&reviewer, &format!("{language}-review"))
            .await;
        // A claim: the request, its counted document
        partner
            .goto(&bench.console(&format!("claims/{asked}")))
            .await
            .unwrap();
        heading_is(&partner, "Microsoft Teams — contoso.onmicrosoft.com").await;
        says(&partner, &words.get("status.information_requested")).await;
        says(&partner, &words.get("claim.counted")).await;
        assert_eq!(lang(&partner).await, language);
        bench
            .shots
            .take(&partner, &format!("{language}-claim"))
            .await;
    }
    // AND the choice outlives a sign-out
    click(&partner, Role::Button, "Esci").await;
    heading_is(&partner, "Accedi").await;
    bench.finish(&[&reviewer, &partner]).await;
}

/// Signing in through a real OpenID provider on loopback: the console, whose config.json names
/// the provider, sends the partner there (the authorization code flow with PKCE) and back, keeps
/// the tokens in memory only (nothing in the browser's storage), and the gateway accepts the
/// provider's RS256 access token, checked through the keys the provider publishes.
#[tokio::test]
async fn a_partner_signs_in_through_an_openid_provider_whose_token_the_gateway_accepts() {
    // GIVEN an identity provider on loopback that the gateway trusts for partners
    let provider_port = cpor_local::emulator::free_port().expect("a free port");
    let console_port = cpor_local::emulator::free_port().expect("a free port");
    let issuer = format!("http://127.0.0.1:{provider_port}");
    let trusted = TrustedIssuer {
        provider: Provider::Partner,
        issuer: issuer.clone(),
        audiences: vec!["https://api.cpor.example".into()],
    };
    let Some(mut bench) = Bench::start("openid", |s| s.trusted_issuers = vec![trusted]).await
    else {
        return;
    };
    if !provider_installed() {
        return;
    }
    let mut node =
        std::process::Command::new(chromium::program("CPOR_NODE", "node").expect("node"));
    node.arg(repository().join("tests/oidc/provider.mjs"))
        .arg(provider_port.to_string())
        .arg(console_port.to_string())
        .arg(&bench.stack.base);
    let _provider = chromium::Group::spawn(node, &bench.shots.dir.join("provider.log"));
    // (the console's origin, in front of the gateway, serves the config.json naming the provider)
    let origin = format!("http://127.0.0.1:{console_port}");
    for url in [
        format!("{issuer}/.well-known/openid-configuration"),
        format!("{origin}/console/config.json"),
    ] {
        let started = Instant::now();
        while !bench
            .stack
            .http
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(started.elapsed() < WAIT, "{url} never answered");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // AND a claim of Fabrikam's
    claim_id(&bench.stack.submit(FABRIKAM, &claim_body("teams")).await);

    // WHEN a partner opens the console and signs in at the provider as Fabrikam
    let browser = bench.browser(DESKTOP).await;
    browser.goto(&format!("{origin}/console/")).await.unwrap();
    heading_is(&browser, "Sign in").await;
    click(&browser, Role::Button, "Sign in").await;
    fill(&browser, "Enter any login", FABRIKAM).await;
    fill(&browser, "and password", "any").await;
    bench.shots.take(&browser, "provider").await;
    let url = browser.current_url().await.unwrap();
    assert!(url.as_str().starts_with(&issuer), "{url}");
    click(&browser, Role::Button, "Sign-in").await;
    click(&browser, Role::Button, "Continue").await;

    // THEN the console is back, signed in as the provider's token says, and lists the claims
    // the gateway answered with that token
    heading_is(&browser, "Claims").await;
    says(&browser, "contoso.onmicrosoft.com").await;
    let header = browser_text(
        &browser,
        "return document.querySelector('header').innerText;",
    )
    .await;
    assert!(
        header.contains("Partner 1234567") && header.contains("administrator"),
        "{header}"
    );
    assert!(
        browser
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&format!("{origin}/console/")),
        "back at the console"
    );
    bench.shots.take(&browser, "signed-in").await;
    // AND no token is kept in the browser's storage
    let stored = browser_text(
        &browser,
        "return JSON.stringify([{ ...localStorage }, { ...sessionStorage }]);",
    )
    .await;
    assert!(
        !stored.contains("eyJ"),
        "a token in the browser's storage: {stored}"
    );
    bench.finish(&[&browser]).await;
}

// ----- what the screens cost -----------------------------------------------------------------------

/// The paths of the API requests the page made since the last `forget_requests`.
async fn api_requests(browser: &Client) -> Vec<String> {
    let paths = browser
        .execute(
            "return performance.getEntriesByType('resource')
               .map((e) => new URL(e.name)).filter((u) => u.pathname.startsWith('/v1/'))
               .map((u) => u.pathname + u.search);",
            vec![],
        )
        .await
        .unwrap_or(Value::Null);
    paths
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

async fn forget_requests(browser: &Client) {
    browser
        .execute("performance.clearResourceTimings();", vec![])
        .await
        .expect("the page's timings cleared");
}

/// The API requests a screen makes when it is opened by `open` and shows `title`, counted once
/// the page has been quiet for a second (an answer still on its way is waited for). The screen
/// must load no code or style of its own: the first screen loaded all there is.
async fn requests_of<F: std::future::Future<Output = ()>>(
    browser: &Client,
    title: &str,
    open: impl FnOnce() -> F,
) -> Vec<String> {
    forget_requests(browser).await;
    open().await;
    heading_is(browser, title).await;
    let mut seen = api_requests(browser).await;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = api_requests(browser).await;
        if now == seen {
            let code = browser
                .execute(
                    "return performance.getEntriesByType('resource').map((e) => e.name)
                       .filter((n) => /\\.(js|css)$/.test(new URL(n).pathname));",
                    vec![],
                )
                .await
                .unwrap_or(Value::Null);
            assert_eq!(code, json!([]), "{title} loaded more code or style");
            return now;
        }
        seen = now;
    }
}

/// The JavaScript and CSS files the page loaded, with their sizes as served and compressed
/// (gzip -9, as CloudFront's compression would send them at best).
async fn scripts_and_styles(bench: &Bench, browser: &Client) -> Vec<(String, u64, u64)> {
    let paths = browser
        .execute(
            "return performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
               .filter((p) => p.endsWith('.js') || p.endsWith('.css'));",
            vec![],
        )
        .await
        .unwrap_or(Value::Null);
    let mut files = Vec::new();
    for path in paths
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let served = reqwest::get(format!("{}{path}", bench.stack.base))
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("a file the page loaded")
            .bytes()
            .await
            .expect("its bytes");
        let mut gzip = std::process::Command::new("gzip")
            .args(["-9", "-c"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("gzip runs");
        std::io::Write::write_all(&mut gzip.stdin.take().expect("its input"), &served)
            .expect("gzip reads");
        let compressed = gzip.wait_with_output().expect("gzip's output").stdout;
        files.push((
            path.to_owned(),
            served.len() as u64,
            compressed.len() as u64,
        ));
    }
    files
}

/// The console's budget for the first screen's compressed JavaScript and CSS.
const FIRST_SCREEN_BUDGET: u64 = 150 * 1024;

/// What the screens cost, as the browser saw it: a list or queue page makes one API request (the
/// catalogue is read once per sign-in), and the first screen loads at most 150 KB of compressed
/// JavaScript and CSS. Every screen's count is written, with the files, to
/// `target/test-output/console/costs.json`, which `make bench` reports.
#[tokio::test]
async fn a_list_or_queue_page_costs_one_api_request_and_the_first_screen_is_light() {
    let Some(bench) = Bench::start("costs", |_| {}).await else {
        return;
    };
    // GIVEN a claim waiting for the partner and one in review
    let asked = asked_for_information(&bench.stack, "teams").await;
    let in_review = claim_id(&bench.stack.submit(FABRIKAM, &claim_body("exchange")).await);
    let partner = bench.browser(DESKTOP).await;
    let reviewer = bench.browser(DESKTOP).await;

    // WHEN a partner opens the console: the sign-in page, then the claims
    partner.goto(&bench.console("")).await.expect("the console");
    heading_is(&partner, "Sign in").await;
    let files = scripts_and_styles(&bench, &partner).await;
    let first_screen: u64 = files.iter().map(|(_, _, gzip)| gzip).sum();
    let signed_in = requests_of(&partner, "Claims", || async {
        fill(&partner, "Partner ID", FABRIKAM).await;
        click(&partner, Role::Button, "Sign in").await;
    })
    .await;
    says(&partner, "contoso.onmicrosoft.com").await;
    // (each screen opened from another, as people move in the console: an address typed in
    // would load the console again, and sign in again)
    let claim = requests_of(
        &partner,
        "Microsoft Teams — contoso.onmicrosoft.com",
        || async {
            partner
                .execute(
                    "document.querySelector(`a[href$='/claims/${arguments[0]}']`).click();",
                    vec![json!(asked)],
                )
                .await
                .expect("the claim's link");
        },
    )
    .await;
    let claims = requests_of(&partner, "Claims", || async {
        click(&partner, Role::Link, "Claims").await;
    })
    .await;
    let new_claim = requests_of(&partner, "New claim", || async {
        click(&partner, Role::Link, "New claim").await;
    })
    .await;
    // AND a reviewer opens the queue, a review, and the queue again
    reviewer
        .goto(&bench.console(""))
        .await
        .expect("the console");
    heading_is(&reviewer, "Sign in").await;
    let reviewer_signed_in = requests_of(&reviewer, "Review queue", || async {
        click(&reviewer, Role::Radio, "Reviewer").await;
        fill(&reviewer, "Reviewer ID", ALICE).await;
        click(&reviewer, Role::Button, "Sign in").await;
    })
    .await;
    let review = requests_of(
        &reviewer,
        "Review: Exchange Online — contoso.onmicrosoft.com",
        || async {
            click(&reviewer, Role::Link, "contoso.onmicrosoft.com").await;
        },
    )
    .await;
    let queue = requests_of(&reviewer, "Review queue", || async {
        click(&reviewer, Role::Link, "Review queue").await;
    })
    .await;

    // THEN a list or queue page is one request, the catalogue once per sign-in beside it
    let paths = |requests: &[String]| -> Vec<String> {
        let mut paths: Vec<String> = requests
            .iter()
            .map(|r| r.split('?').next().unwrap_or_default().to_owned())
            .collect();
        paths.sort_unstable();
        paths
    };
    assert_eq!(paths(&claims), ["/v1/claims"], "Claims");
    assert_eq!(paths(&queue), ["/v1/review/claims"], "Review queue");
    assert_eq!(paths(&signed_in), ["/v1/catalogue", "/v1/claims"]);
    assert_eq!(
        paths(&reviewer_signed_in),
        ["/v1/catalogue", "/v1/review/claims"]
    );
    // AND a claim's screen reads the claim once, a review the claim it shows
    assert_eq!(paths(&claim), [format!("/v1/claims/{asked}")], "Claim");
    assert_eq!(
        paths(&review),
        [format!("/v1/review/claims/{in_review}")],
        "Review"
    );
    assert!(new_claim.is_empty(), "New claim: {new_claim:?}");
    // AND the first screen's compressed JavaScript and CSS are within the budget (and all there
    // is: no later screen loaded more)
    assert!(
        first_screen <= FIRST_SCREEN_BUDGET,
        "the first screen loads {first_screen} bytes compressed: {files:?}"
    );
    // (the claims' ids said as the contract's paths say them)
    let said = |requests: &[String]| -> Vec<String> {
        requests
            .iter()
            .map(|r| {
                r.replace(&asked, "{claim_id}")
                    .replace(&in_review, "{claim_id}")
            })
            .collect()
    };
    let (claim, review) = (said(&claim), said(&review));
    let costs = json!({
        "first_screen": {
            "gzip_bytes": first_screen,
            "budget_bytes": FIRST_SCREEN_BUDGET,
            "files": files.iter().map(|(path, served, gzip)|
                json!({ "path": path, "bytes": served, "gzip_bytes": gzip })).collect::<Vec<_>>(),
        },
        "requests": [
            { "screen": "Claims, first after signing in (with the catalogue)", "paths": signed_in },
            { "screen": "Claims", "paths": claims },
            { "screen": "Claim", "paths": claim },
            { "screen": "New claim", "paths": new_claim },
            { "screen": "Review queue, first after signing in (with the catalogue)", "paths": reviewer_signed_in },
            { "screen": "Review queue", "paths": queue },
            { "screen": "Review", "paths": review },
        ],
    });
    let path = chromium::output_dir("console").join("costs.json");
    std::fs::write(&path, serde_json::to_string_pretty(&costs).expect("JSON"))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    bench.finish(&[&partner, &reviewer]).await;
}
