//! The command line: `cpor-ops COMMAND [ARGS] [OPTIONS]`, with `--help` for each command.
//!
//! clap's derive API parses it; its usage errors are then phrased in the tool's own words
//! (`resend takes CLAIM_ID; got none`), naming the command they are about.

use crate::OpsError;
use crate::settings::DEAD_LETTER_QUEUE_URL;
use chrono::{DateTime, Utc};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use cpor_aws::config::{QUEUE_URL, TABLE_NAME, TOKEN_KEY_ID, TOKEN_SECRET_ARN};
use cpor_domain::ids::ClaimId;
use cpor_domain::time::parse_instant;
use std::path::PathBuf;

/// Every command's help opens with its full name: `cpor-ops keyring add: ...`.
const HELP_TEMPLATE: &str =
    "{name}: {about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}";

const USAGE: &str = "\
cpor-ops redrive [--queue-url URL] [--dead-letter-queue-url URL]
       cpor-ops resend CLAIM_ID [--confirm-unsent | --confirm-sent TIME [--message-id ID]] [--table NAME] [--queue-url URL]
       cpor-ops finalize [--at TIME] [--force] [--table NAME]
       cpor-ops import FILE.json [--table NAME] [--dry-run]
       cpor-ops keyring STEP [--secret-arn ARN] [--key-id ID] [OPTIONS]
       cpor-ops webhooks failing WEBHOOK_ID [--table NAME]
       cpor-ops webhooks replay --partner ID --from TIME --to TIME [--bus NAME] [--archive NAME] [--queue-arn ARN]
       cpor-ops help [COMMAND]";

const AFTER_HELP: &str = "\
Settings come from the options or from the variables the functions read:
  --table NAME                  CPOR_TABLE_NAME              (resend, finalize, import, keyring prune, webhooks failing)
  --queue-url URL               CPOR_NOTIFICATION_QUEUE_URL  (redrive, resend)
  --dead-letter-queue-url URL   CPOR_DEAD_LETTER_QUEUE_URL   (redrive; default: the queue's own)
  --secret-arn ARN              CPOR_TOKEN_SECRET_ARN        (keyring)
  --bus NAME                    CPOR_EVENT_BUS_NAME          (webhooks replay)
  --archive NAME                CPOR_EVENT_ARCHIVE_NAME      (webhooks replay)
  --queue-arn ARN               CPOR_WEBHOOK_QUEUE_ARN       (webhooks replay)
AWS credentials, region and profile are the SDK's usual ones (AWS_PROFILE, AWS_REGION, ...);
AWS_ENDPOINT_URL points the commands at an emulator (the local stack writes .run/local.env).

Each command prints its result as one JSON object on stdout, and what it did on stderr.
Exit codes: 0 done, 1 the operation failed or was refused, 2 usage or configuration error.";

const REDRIVE_ABOUT: &str = "\
move every message of the notification dead-letter queue back to the
notification queue, where notify-customer sends the e-mails it could not send before.";

const REDRIVE_AFTER_HELP: &str = "\
A message leaves the dead-letter queue only once it is on the notification queue: an
interrupted redrive loses nothing, and running it again moves what is left. Fix the cause
first (see the notify-customer logs): a message that fails five more times comes back.
Prints {\"redriven\": N, \"from\": DLQ_URL, \"to\": QUEUE_URL}.";

const RESEND_ABOUT: &str = "\
queue the customer notification of a claim that is still `approved` (its
message was lost, or was dropped from the dead-letter queue), exactly as an approval queues it.";

const RESEND_AFTER_HELP: &str = "\
Refuses (exit 1) an unknown claim and a claim in any other status: it waits for a reviewer,
its customer was notified already, or the claim has left the lifecycle. Safe to repeat: notify-customer sends a claim's
e-mail at most once, however many messages name it.

A notification whose outcome is unknown is held until SES's Send event records it, or, with no
Send event within 15 minutes, released for one more attempt, up to 5 times; only then is it
left to an operator (the NotificationsHeldForOperator alarm). resend refuses a held one until
you have made sure, in SES's sending records or with the customer, that the e-mail did not go
out, and say so with --confirm-unsent: the hold is lifted and the notification queued. If it
did go out, say when with --confirm-sent TIME, and give SES's message id with --message-id ID
(its bounces and complaints then find the claim; without it, SES's Send event records it):
the send is recorded and the opt-out window opens from TIME (the business calendar skips
CPOR_HOLIDAYS), and nothing is sent (docs/runbook.md).
Prints {\"claim_id\": ID, \"status\": \"approved\", \"queued\": true}, with \"hold_lifted\": true when it lifted a hold.";

const FINALIZE_ABOUT: &str = "\
run finalize-association as the nightly schedule would at TIME: every claim
awaiting its customer whose opt-out deadline is before TIME becomes `associated`, and every
information request unanswered by its due time is rejected (`no_response`).";

const FINALIZE_AFTER_HELP: &str = "\
Safe to run twice, and catches up on every night missed. A TIME in the future would associate
claims whose customers may still opt out until their deadline, and reject claims whose
partners may still respond: it is refused unless --force says that is meant. Give the time of
the run that failed, or now.
Prints the run's summary {\"now\", \"due\", \"finalized\", \"rejected\", \"already_decided\",
\"failed\", \"reviews_overdue\"};
exits 1 when a claim could not be written (run it again: it retries only those).";

const IMPORT_ABOUT: &str = "\
import partners and tenants into the table from a JSON file shaped as
POST /_local/seed takes it (see infra/local/examples/seed.json):

  { \"partners\": [{ \"partner_id\", \"name\", \"programs\": [...] }],
    \"tenants\":  [{ \"tenant_id\", \"domains\": [...], \"subscriptions\": [{ \"subscription_id\", \"workload\" }] }] }";

const IMPORT_AFTER_HELP: &str = "\
The whole file is checked first: with any fault, every fault is named (e.g.
partners[2].programs[0]) and nothing is written (exit 1). A record replaces the stored record
with the same id; records not in the file are left alone. Importing the same file again is
harmless.
Prints {\"partners\": N, \"tenants\": M, \"written\": true|false}.";

const WEBHOOKS_ABOUT: &str = "\
what an operator does for a partner whose webhooks fail: list an endpoint's
failing deliveries (failing), or send a partner's events of a time range to its webhooks again,
from the bus's archive (replay).";
const WEBHOOKS_AFTER_HELP: &str = "\
failing reads the attempts the delivery recorded (kept 30 days) and prints each event whose
latest attempt did not succeed: {\"webhook_id\", \"attempts_read\", \"failing\": [{\"event_id\",
\"attempts\", \"first_at\", \"last_at\", \"outcome\", \"status_code\", \"error\"}]}.
replay makes a rule of its own on the bus (cpor-webhook-replay-<partner>-<id>) matching the
partner's claim events of this replay alone, aimed at the webhook delivery queue, starts a
replay of the archive from --from to --to naming only that rule, waits for it to end
(--wait-seconds, default 3600) and removes the rule. Every endpoint of the partner that asks
for an event's type receives it again, even if it had it before (docs/runbook.md, \"Replaying
a partner's events\"). Prints {\"replay_name\", \"partner_id\", \"from\", \"to\", \"state\",
\"rule\", \"rule_removed\"}; exits 1 when the replay did not complete or its rule stays.";
const KEYRING_ABOUT: &str = "\
rotate the secret that signs the opt-out links, in steps that each keep every
link already e-mailed working (each link names the key that signed it).";

const KEYRING_AFTER_HELP: &str = "\
Each step writes a new version of the secret only if the keyring stays valid, and never prints
a secret. The functions read the secret at start-up: after add, promote and prune, give every
function that signs or verifies links (notify-customer, notify-partner, record-opt-out) new
execution environments (docs/runbook.md, \"Rotating the opt-out secret\") before the next step.
A key that stopped signing keeps verifying until prune finds no link in force it may have
signed (prune reads the table: --table or CPOR_TABLE_NAME). Each step's own options: cpor-ops
keyring STEP --help. Prints {\"current\": ID, \"keys\": [{\"id\", \"retire_at\",
\"signed_until\"}], \"written\": true|false}.";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Print this help text (stdout, exit 0).
    Help(String),
    Command(Command),
}

#[derive(Debug, Parser)]
#[command(
    name = "cpor-ops",
    bin_name = "cpor-ops",
    about = "operator commands for a cpor stack (deployed, or the local one)",
    override_usage = USAGE,
    after_help = AFTER_HELP,
    // An option given twice takes its last value: an alias's, then the operator's own.
    args_override_self = true
)]
struct CommandLine {
    #[command(subcommand)]
    command: Option<Command>,
}

/// A command with its options.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    #[command(
        about = "move the notification dead-letter queue's messages back to the queue",
        long_about = REDRIVE_ABOUT,
        after_help = REDRIVE_AFTER_HELP
    )]
    Redrive(RedriveOptions),
    #[command(
        about = "re-queue the customer notification of a claim stuck in `approved`",
        long_about = RESEND_ABOUT,
        after_help = RESEND_AFTER_HELP
    )]
    Resend(ResendOptions),
    #[command(
        about = "run the nightly finalization as of TIME (RFC 3339; default: now)",
        long_about = FINALIZE_ABOUT,
        after_help = FINALIZE_AFTER_HELP
    )]
    Finalize(FinalizeOptions),
    #[command(
        about = "import partners and tenants from a reference data file",
        long_about = IMPORT_ABOUT,
        after_help = IMPORT_AFTER_HELP
    )]
    Import(ImportOptions),
    #[command(
        about = "rotate the opt-out links' signing keyring: show, add, promote, prune",
        long_about = KEYRING_ABOUT,
        after_help = KEYRING_AFTER_HELP,
        subcommand_value_name = "STEP",
        subcommand_help_heading = "Steps",
        // A missing step is a usage error that says so, not the help text.
        arg_required_else_help = false,
        disable_help_subcommand = true
    )]
    Keyring(KeyringOptions),
    #[command(
        about = "a partner's webhooks: an endpoint's failing deliveries; replay a partner's events",
        long_about = WEBHOOKS_ABOUT,
        after_help = WEBHOOKS_AFTER_HELP,
        subcommand_value_name = "STEP",
        subcommand_help_heading = "Steps",
        arg_required_else_help = false,
        disable_help_subcommand = true
    )]
    Webhooks(WebhooksOptions),
}

/// The options of `webhooks`: its step.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct WebhooksOptions {
    #[command(subcommand)]
    pub step: WebhooksStep,
}

/// A step of `webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WebhooksStep {
    #[command(about = "the endpoint's deliveries whose latest attempt did not succeed")]
    Failing {
        #[arg(value_name = "WEBHOOK_ID", help = "the endpoint's id (26 characters)")]
        webhook_id: String,
        #[arg(long, value_name = "NAME", env = TABLE_NAME, help = "the table")]
        table: Option<String>,
    },
    #[command(
        about = "send the partner's claim events of a time range to its webhooks again, from the bus's archive"
    )]
    Replay {
        #[arg(long, value_name = "ID", help = "the partner's id")]
        partner: String,
        #[arg(long, value_name = "TIME", value_parser = instant, help = "RFC 3339: the events published from then")]
        from: DateTime<Utc>,
        #[arg(long, value_name = "TIME", value_parser = instant, help = "RFC 3339: ... until then")]
        to: DateTime<Utc>,
        #[arg(long, value_name = "NAME", env = cpor_aws::config::EVENT_BUS_NAME, help = "the service's bus (stack output EventBusName)")]
        bus: Option<String>,
        #[arg(long, value_name = "NAME", env = crate::webhooks::EVENT_ARCHIVE_NAME, help = "its archive (stack output EventArchiveName)")]
        archive: Option<String>,
        #[arg(long, value_name = "ARN", env = crate::webhooks::WEBHOOK_QUEUE_ARN, help = "the webhook delivery queue (stack output WebhookDeliveryQueueArn)")]
        queue_arn: Option<String>,
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = 3600,
            help = "how long to wait for the replay to end before leaving its rule in place"
        )]
        wait_seconds: u64,
    },
}

/// A step of a keyring rotation.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum KeyringStep {
    #[command(about = "the keyring's key ids, which one signs, and when the others retire")]
    Show,
    #[command(about = "add a new random key (32 bytes) that verifies but does not sign yet")]
    Add {
        #[arg(long, value_name = "ID", help = "its id (default: the next k<n>)")]
        new_key_id: Option<String>,
    },
    #[command(
        about = "the added key signs from now on; the key that signed until now only verifies",
        long_about = "the added key signs from now on; the key that signed until now only\n\
                      verifies, until prune finds no link in force it may have signed. Only for a\n\
                      leaked key: --retire-at TIME (or --retire-in-days N) makes its links stop\n\
                      working then, associations' links included"
    )]
    Promote {
        #[arg(
            long,
            value_name = "ID",
            help = "the key to promote (default: the only one added)"
        )]
        new_key_id: Option<String>,
        #[command(flatten)]
        retire: Retire,
    },
    #[command(
        about = "remove the keys that no link in force uses: retired ones, and those that stopped \
                 signing before every link a customer may still use was e-mailed"
    )]
    Prune {
        #[arg(long, value_name = "NAME", env = TABLE_NAME, help = "the table")]
        table: Option<String>,
    },
}

/// When the key that signed until a promotion retires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retire {
    /// Never by time: pruned once no link in force uses it.
    WhenUnused,
    InDays(u32),
    At(DateTime<Utc>),
}

/// The options of `keyring`, given before or after the step.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct KeyringOptions {
    #[command(subcommand)]
    pub step: KeyringStep,
    #[arg(
        long,
        global = true,
        value_name = "ARN",
        env = TOKEN_SECRET_ARN,
        help = "the secret (stack output OptOutTokenSecretArn)"
    )]
    pub secret_arn: Option<String>,
    #[arg(
        long,
        global = true,
        value_name = "ID",
        env = TOKEN_KEY_ID,
        help = "the id of a plain (not yet rotated) secret's key (default: k1; the stack parameter TokenKeyId)"
    )]
    pub key_id: Option<String>,
}

/// The options of `redrive`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct RedriveOptions {
    #[arg(long, value_name = "URL", env = QUEUE_URL, help = "the notification queue")]
    pub queue_url: Option<String>,
    #[arg(
        long,
        value_name = "URL",
        env = DEAD_LETTER_QUEUE_URL,
        help = "its dead-letter queue (default: the queue named by the notification queue's RedrivePolicy)"
    )]
    pub dead_letter_queue_url: Option<String>,
}

/// The options of `resend`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ResendOptions {
    #[arg(
        value_name = "CLAIM_ID",
        value_parser = claim_id,
        help = "the claim's id (26 characters, e.g. 01JDX3Z8Q6V6W4S0Y1B2C3D4E5)"
    )]
    pub claim_id: ClaimId,
    #[arg(long, value_name = "NAME", env = TABLE_NAME, help = "the table")]
    pub table: Option<String>,
    #[arg(long, value_name = "URL", env = QUEUE_URL, help = "the notification queue")]
    pub queue_url: Option<String>,
    #[arg(
        long,
        conflicts_with = "confirm_sent",
        help = "the e-mail of a held notification did not go out (checked in SES's records): lift the hold and send it"
    )]
    pub confirm_unsent: bool,
    #[arg(
        long,
        value_name = "TIME",
        value_parser = instant,
        help = "the e-mail of a held notification went out at TIME (RFC 3339, from SES's records): record it and open the opt-out window from then, sending nothing"
    )]
    pub confirm_sent: Option<DateTime<Utc>>,
    #[arg(
        long,
        value_name = "ID",
        requires = "confirm_sent",
        help = "with --confirm-sent: SES's message id of the e-mail (from its records), which its bounces and complaints name"
    )]
    pub message_id: Option<String>,
}

/// The options of `finalize`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct FinalizeOptions {
    #[arg(
        long,
        value_name = "TIME",
        value_parser = instant,
        help = "RFC 3339, e.g. 2026-12-03T02:00:00Z (default: now)"
    )]
    pub at: Option<DateTime<Utc>>,
    #[arg(long, value_name = "NAME", env = TABLE_NAME, help = "the table")]
    pub table: Option<String>,
    #[arg(
        long,
        requires = "at",
        help = "run as of a TIME in the future all the same (associates claims before their deadline)"
    )]
    pub force: bool,
}

/// The options of `import`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ImportOptions {
    #[arg(value_name = "FILE.json", help = "the reference data file")]
    pub file: PathBuf,
    #[arg(long, value_name = "NAME", env = TABLE_NAME, help = "the table")]
    pub table: Option<String>,
    #[arg(long, help = "check the file and print the counts, write nothing")]
    pub dry_run: bool,
}

// `Retire` is one choice made of two options, `--retire-in-days N` or `--retire-at TIME`: the
// derive cannot build an enum from options, so these two impls do.
impl Args for Retire {
    fn augment_args(command: clap::Command) -> clap::Command {
        command
            .arg(
                Arg::new("retire_in_days")
                    .long("retire-in-days")
                    .value_name("N")
                    .value_parser(days)
                    .conflicts_with("retire_at")
                    .help(
                        "a leaked key: the key that signed until now stops verifying N days \
                         from now, its links in force included",
                    ),
            )
            .arg(
                Arg::new("retire_at")
                    .long("retire-at")
                    .value_name("TIME")
                    .value_parser(instant)
                    .help("... or at TIME (RFC 3339, e.g. 2027-01-15T00:00:00Z)"),
            )
    }

    fn augment_args_for_update(command: clap::Command) -> clap::Command {
        Self::augment_args(command)
    }
}

impl FromArgMatches for Retire {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        if let Some(at) = matches.get_one::<DateTime<Utc>>("retire_at") {
            return Ok(Self::At(*at));
        }
        Ok(match matches.get_one::<u32>("retire_in_days").copied() {
            Some(days) => Self::InDays(days),
            None => Self::WhenUnused,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

// The value parsers' errors are the end of a sentence that `usage_error` begins with the
// option and the value: `finalize: --at "yesterday" is not an RFC 3339 time ...`.

fn claim_id(text: &str) -> Result<ClaimId, String> {
    ClaimId::parse(text.trim())
        .ok_or_else(|| "is not a claim id (26 characters, e.g. 01JDX3Z8Q6V6W4S0Y1B2C3D4E5)".into())
}

fn instant(text: &str) -> Result<DateTime<Utc>, String> {
    parse_instant(text).ok_or_else(|| "is not an RFC 3339 time such as 2026-12-03T02:00:00Z".into())
}

fn days(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| "is not a whole number of days".into())
}

/// The command line's definition: each command's help names it in full.
fn definition() -> clap::Command {
    with_full_names(CommandLine::command(), None)
}

fn with_full_names(command: clap::Command, parent: Option<&str>) -> clap::Command {
    let name = match parent {
        Some(parent) => format!("{parent} {}", command.get_name()),
        None => command.get_name().to_owned(),
    };
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    let mut command = command.display_name(&name).help_template(HELP_TEMPLATE);
    for subcommand in subcommands {
        command = command.mut_subcommand(subcommand, |s| with_full_names(s, Some(&name)));
    }
    command
}

/// The tool's help, exactly as `cpor-ops --help` prints it (clap picks the layout by what the
/// help holds, which `render_long_help` would not).
pub fn help() -> String {
    let shown = definition().try_get_matches_from(["cpor-ops", "--help"]);
    shown.err().map(|e| plain(&e)).unwrap_or_default()
}

/// A help text clap returned as an error, without its trailing new line.
fn plain(shown: &clap::Error) -> String {
    shown.render().to_string().trim_end().to_owned()
}

/// Parses the command line (without the program's name).
pub fn parse(args: &[String]) -> Result<Parsed, OpsError> {
    let matches = definition()
        .try_get_matches_from(std::iter::once("cpor-ops").chain(args.iter().map(String::as_str)));
    let parsed = matches.and_then(|m| CommandLine::from_arg_matches(&m));
    match parsed {
        Ok(CommandLine {
            command: Some(command),
        }) => Ok(Parsed::Command(command)),
        Ok(CommandLine { command: None }) => Ok(Parsed::Help(help())),
        Err(e) if e.kind() == ErrorKind::DisplayHelp => Ok(Parsed::Help(plain(&e))),
        Err(e) => Err(usage_error(&e, args)),
    }
}

/// Where on the command line an error is: the command (`keyring add`), and the positional
/// arguments given to it.
struct Place<'a> {
    names: Vec<&'a str>,
    command: &'a clap::Command,
    parent: Option<&'a clap::Command>,
    positional: Vec<&'a str>,
}

impl<'a> Place<'a> {
    fn of(root: &'a clap::Command, args: &'a [String]) -> Self {
        let mut place = Self {
            names: Vec::new(),
            command: root,
            parent: None,
            positional: Vec::new(),
        };
        // Commands only, for the values of options that take one are skipped: `--table resend`.
        let mut chain = vec![root];
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            if let Some(flag) = arg.strip_prefix("--") {
                let takes_value = !flag.contains('=')
                    && chain.iter().any(|c| {
                        c.get_arguments()
                            .any(|a| a.get_long() == Some(flag) && a.get_action().takes_values())
                    });
                if takes_value {
                    rest.next();
                }
            } else if arg.starts_with('-') && arg.len() > 1 {
                continue;
            } else if let Some(sub) = place
                .command
                .find_subcommand(arg)
                .filter(|_| place.positional.is_empty())
            {
                place.names.push(sub.get_name());
                place.parent = Some(place.command);
                place.command = sub;
                chain.push(sub);
            } else {
                place.positional.push(arg);
            }
        }
        place
    }

    /// `keyring add: ` (nothing for the tool itself).
    fn prefix(&self) -> String {
        if self.names.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.names.join(" "))
        }
    }

    /// What the command takes: `CLAIM_ID`, `STEP`, `no arguments`.
    fn takes(&self) -> String {
        let mut expected: Vec<String> = self
            .command
            .get_positionals()
            .map(|a| value_name(a).to_owned())
            .collect();
        if let Some(name) = self.command.get_subcommand_value_name() {
            expected.push(name.to_owned());
        }
        if expected.is_empty() {
            "no arguments".into()
        } else {
            expected.join(" ")
        }
    }

    fn got(&self) -> String {
        if self.positional.is_empty() {
            "none".into()
        } else {
            self.positional.join(" ")
        }
    }
}

fn value_name(arg: &Arg) -> &str {
    arg.get_value_names()
        .and_then(|names| names.first())
        .map(|n| n.as_str())
        .unwrap_or_else(|| arg.get_id().as_str())
}

fn context(error: &clap::Error, kind: ContextKind) -> &str {
    match error.get(kind) {
        Some(ContextValue::String(text)) => text,
        Some(ContextValue::Strings(texts)) => texts.first().map_or("", String::as_str),
        _ => "",
    }
}

/// `--at <TIME>` → `--at`.
fn flag(described: &str) -> &str {
    described.split(['=', ' ']).next().unwrap_or(described)
}

/// clap's usage error, in this tool's words: which command, and what is wrong with it.
#[expect(
    clippy::wildcard_enum_match_arm,
    reason = "clap's error kinds are non-exhaustive: the others are said as clap renders them"
)]
fn usage_error(error: &clap::Error, args: &[String]) -> OpsError {
    let root = definition();
    let place = Place::of(&root, args);
    let at = place.prefix();
    let arg = context(error, ContextKind::InvalidArg);
    let value = context(error, ContextKind::InvalidValue);
    let text = match error.kind() {
        ErrorKind::InvalidSubcommand => {
            let kind = place.command.get_subcommand_value_name();
            let kind = kind.unwrap_or("command").to_lowercase();
            let names: Vec<&str> = place
                .command
                .get_subcommands()
                .map(|s| s.get_name())
                .collect();
            let list = match names.split_last() {
                Some((last, [])) => (*last).to_owned(),
                Some((last, others)) => format!("{} and {last}", others.join(", ")),
                None => String::new(),
            };
            let given = context(error, ContextKind::InvalidSubcommand);
            format!("{at}no {kind} {given:?}; the {kind}s are {list}")
        }
        ErrorKind::UnknownArgument if arg.starts_with('-') => {
            match place.parent.and_then(|p| p.get_subcommand_value_name()) {
                Some(kind) => format!(
                    "{at}{} is not an option of this {}",
                    flag(arg),
                    kind.to_lowercase()
                ),
                None => format!("{at}unknown option {}", flag(arg)),
            }
        }
        ErrorKind::MissingSubcommand
        | ErrorKind::MissingRequiredArgument
        | ErrorKind::UnknownArgument => format!(
            "{} takes {}; got {}",
            place.names.join(" "),
            place.takes(),
            place.got()
        ),
        ErrorKind::InvalidValue if value.is_empty() => {
            format!("{at}{} needs a value", flag(arg))
        }
        ErrorKind::ValueValidation => {
            let why = std::error::Error::source(error)
                .map(ToString::to_string)
                .unwrap_or_else(|| "is not valid".into());
            if arg.starts_with('-') {
                format!("{at}{} {value:?} {why}", flag(arg))
            } else {
                format!("{at}{value:?} {why}")
            }
        }
        ErrorKind::ArgumentConflict => format!(
            "{at}give {} or {}, not both",
            flag(arg),
            flag(context(error, ContextKind::PriorArg))
        ),
        ErrorKind::TooManyValues if arg.starts_with('-') => {
            format!("{at}{} takes no value", flag(arg))
        }
        _ => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or_default();
            format!("{at}{}", first.trim_start_matches("error: "))
        }
    };
    OpsError::Usage(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Parsed, OpsError> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args)
    }

    #[test]
    fn every_command_has_its_own_help() {
        for command in [
            "redrive", "resend", "finalize", "import", "keyring", "webhooks",
        ] {
            let Ok(Parsed::Help(text)) = parse_line(&format!("{command} --help")) else {
                panic!("{command} --help");
            };
            assert!(text.starts_with(&format!("cpor-ops {command}:")), "{text}");
            assert_eq!(
                parse_line(&format!("help {command}")),
                Ok(Parsed::Help(text))
            );
        }
        assert_eq!(parse_line(""), Ok(Parsed::Help(help())));
        assert_eq!(parse_line("--help"), Ok(Parsed::Help(help())));
    }

    #[test]
    fn options_take_their_value_after_a_space_or_an_equals_sign() {
        let parsed = parse_line("finalize --at=2026-12-03T02:00:00Z --table t").unwrap();
        let Parsed::Command(Command::Finalize(options)) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(options.at, parse_instant("2026-12-03T02:00:00Z"));
        assert_eq!(options.table.as_deref(), Some("t"));
        let parsed = parse_line("import data.json --dry-run").unwrap();
        let Parsed::Command(Command::Import(options)) = parsed else {
            panic!("{parsed:?}");
        };
        assert!(options.dry_run);
        assert_eq!(options.file, PathBuf::from("data.json"));
    }

    #[test]
    fn a_wrong_command_line_is_a_usage_error_that_says_what_is_wrong() {
        for (line, says) in [
            ("reboot", "no command \"reboot\""),
            ("resend", "resend takes CLAIM_ID; got none"),
            ("resend not-a-claim", "is not a claim id"),
            (
                "resend 01JDX3Z8Q6V6W4S0Y1B2C3D4E5 extra",
                "got 01JDX3Z8Q6V6W4S0Y1B2C3D4E5 extra",
            ),
            ("finalize --at yesterday", "is not an RFC 3339 time"),
            ("finalize --at", "--at needs a value"),
            ("redrive --force", "unknown option --force"),
            ("import", "import takes FILE.json"),
            ("import -x f.json", "unknown option -x"),
            ("keyring", "keyring takes STEP; got none"),
            ("keyring rotate", "no step \"rotate\""),
            (
                "keyring add --retire-in-days 3",
                "--retire-in-days is not an option of this step",
            ),
            (
                "keyring promote --retire-in-days soon",
                "is not a whole number of days",
            ),
            (
                "keyring promote --retire-in-days 3 --retire-at 2027-01-01T00:00:00Z",
                "not both",
            ),
        ] {
            let error = parse_line(line).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{line}");
            assert!(error.to_string().contains(says), "{line}: {error}");
        }
    }

    #[test]
    fn keyring_options_go_before_or_after_the_step_and_promote_retires_no_key_by_time_by_default() {
        // GIVEN the same options before and after the step
        for line in [
            "keyring --secret-arn arn:s --key-id k7 promote",
            "keyring promote --secret-arn=arn:s --key-id k7",
        ] {
            // WHEN parsed
            let parsed = parse_line(line).unwrap();
            // THEN they are the keyring's, and the old key retires only once unused
            assert_eq!(
                parsed,
                Parsed::Command(Command::Keyring(KeyringOptions {
                    step: KeyringStep::Promote {
                        new_key_id: None,
                        retire: Retire::WhenUnused,
                    },
                    secret_arn: Some("arn:s".into()),
                    key_id: Some("k7".into()),
                })),
                "{line}"
            );
        }
        let Ok(Parsed::Command(Command::Keyring(options))) =
            parse_line("keyring promote --retire-at 2027-01-15T00:00:00Z --new-key-id k3")
        else {
            panic!("promote --retire-at");
        };
        assert_eq!(
            options.step,
            KeyringStep::Promote {
                new_key_id: Some("k3".into()),
                retire: Retire::At(parse_instant("2027-01-15T00:00:00Z").unwrap()),
            }
        );
    }

    #[test]
    fn an_option_given_twice_takes_its_last_value() {
        // GIVEN a table named twice (a shell alias, then the operator's own)
        let parsed = parse_line("finalize --table from-alias --table mine").unwrap();
        // THEN the last one counts
        let Parsed::Command(Command::Finalize(options)) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(options.table.as_deref(), Some("mine"));
    }
}
