//! The console in a real browser: partners and reviewers sign in with the local stack's sign-in
//! form, submit, answer, upload and decide through the screens, in headless Chromium driven
//! through chromedriver (`crate::chromium`), against a local stack of their own that serves the
//! built console at `/console/`, from the same origin as the API.
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
use cpor_tests::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, Locator};
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

/// A test's stack, browser driver and screenshots, or None when the test is to be skipped.
struct Bench {
    stack: TestStack,
    driver: Chromedriver,
    shots: Screenshots,
    started: Instant,
    name: &'static str,
}

impl Bench {
    /// `manual`: claims wait in review for a reviewer (the policy outside tests).
    async fn start(name: &'static str, manual: bool) -> Option<Self> {
        let started = Instant::now();
        let (chromedriver, chromium) = chromium::chromium()?;
        if !console_built() {
            return None;
        }
        let stack = if manual {
            TestStack::start_manual().await
        } else {
            TestStack::start().await
        };
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

    async fn finish(self) {
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

/// The shown elements matching `css` whose text, label or ARIA name holds `name`: the
/// candidates whose computed name is then asked for.
const CANDIDATES: &str = r#"
const [css, name] = arguments;
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const texts = (e) => [
  e.textContent,
  e.getAttribute("aria-label"),
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

/// The texts of the claim ids in the page's address, after `/console/<screen>/`.
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

// ----- the tests -----------------------------------------------------------------------------------

/// "New claim" marks every field the API refuses at once, each beside its field with the API's
/// own message (and nothing else marked); once they are corrected, the claim is submitted and
/// the partner lands on it.
#[tokio::test]
async fn a_partner_s_new_claim_shows_every_refused_field_at_once_and_goes_through_once_corrected() {
    let Some(mut bench) = Bench::start("new-claim", true).await else {
        return;
    };
    let browser = bench.browser(DESKTOP).await;
    sign_in_partner(&bench, &browser, FABRIKAM, "incentives_admin").await;

    // WHEN an admin opens "New claim" and fills it in with five mistakes
    click(&browser, Role::Link, "New claim").await;
    heading_is(&browser, "New claim").await;
    let today = chrono::Utc::now().date_naive();
    let future = today + chrono::Days::new(10);
    let signed = today - chrono::Days::new(30);
    let typed = [
        ("Tenant ID", "contoso"),
        ("Customer domain", "contoso.onmicrosoft.com"),
        ("Program", "osu-m365"),
        ("Workload", "teams"),
        ("Customer name", "Giulia Rossi"),
        ("Customer e-mail", "giulia-at-contoso.com"),
        ("Customer title", "IT Director"),
        ("Customer language", "it"),
        ("Customer time zone", "Europe/Rome"),
        ("Partner contact name", "Sam Lee"),
        ("Partner contact e-mail", "sam@"),
        ("Proof of execution reference", ""),
    ];
    for (label, value) in typed {
        fill(&browser, label, value).await;
    }
    fill_date(&browser, "Signed on", future).await;
    click(&browser, Role::Button, "Submit claim").await;

    // THEN the API's refusal of that very request names five fields
    let request = json!({
        "tenant_id": "contoso",
        "customer_domain": "contoso.onmicrosoft.com",
        "program": "osu-m365",
        "workload": "teams",
        "subscription_id": null,
        "customer_contact": { "name": "Giulia Rossi", "email": "giulia-at-contoso.com",
                              "title": "IT Director", "locale": "it", "time_zone": "Europe/Rome" },
        "partner_contact": { "name": "Sam Lee", "email": "sam@" },
        "proof_of_execution": { "reference": "", "signed_on": future.to_string() }
    });
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
    let mut fields: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    fields.sort_unstable();
    let mut expected: Vec<&str> = by_label.iter().map(|(f, _)| *f).collect();
    expected.sort_unstable();
    assert_eq!(fields, expected, "{}", refused.text);
    // AND the screen shows the summary, and beside each of the five fields the API's message
    named(&browser, Role::Heading, "There is a problem").await;
    bench.shots.take(&browser, "refused").await;
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
    browser.close().await.ok();
    bench.finish().await;
}

/// A reviewer finds a claim in the "Review queue", opens it and asks the partner for
/// information: the reasons as checkboxes and a "Message", recorded as the reviewer's.
#[tokio::test]
async fn a_reviewer_opens_a_claim_from_the_queue_and_requests_information() {
    let Some(mut bench) = Bench::start("request-information", true).await else {
        return;
    };
    // GIVEN a claim in review
    let id = claim_id(&bench.stack.submit(FABRIKAM, &claim_body("teams")).await);
    let browser = bench.browser(DESKTOP).await;
    sign_in_reviewer(&bench, &browser, ALICE).await;

    // WHEN the reviewer opens it from the queue
    says(&browser, "Fabrikam Consulting").await;
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
    let reviewed = bench
        .stack
        .review_get(BOB, &format!("/v1/review/claims/{id}"))
        .await
        .json();
    let last = reviewed["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["event"], "information_requested");
    assert_eq!(last["reviewer"], ALICE);
    browser.close().await.ok();
    bench.finish().await;
}

/// The partner answers a request for information from the claim: "Upload document" sends a PDF
/// from the browser straight to storage through its presigned link, and the claim shows it
/// counted once the service checked it; "Respond" sends the claim back to review.
#[tokio::test]
async fn a_partner_uploads_a_pdf_from_the_browser_and_responds_to_a_request_for_information() {
    let Some(mut bench) = Bench::start("respond-upload", true).await else {
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
    browser.close().await.ok();
    bench.finish().await;
}

/// Another reviewer approves the answered claim: the history shows who asked, the approval is
/// recorded as theirs, and the customer's e-mail reaches the outbox.
#[tokio::test]
async fn another_reviewer_approves_and_the_customer_is_e_mailed() {
    let Some(mut bench) = Bench::start("approve", true).await else {
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
    let reviewed = bench
        .stack
        .review_get(ALICE, &format!("/v1/review/claims/{id}"))
        .await
        .json();
    let approval = reviewed["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "approved")
        .cloned()
        .expect("an approval");
    assert_eq!(approval["reviewer"], BOB);
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
    browser.close().await.ok();
    bench.finish().await;
}
