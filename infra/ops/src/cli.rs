//! The command line: `cpor-ops COMMAND [ARGS] [OPTIONS]`, with `--help` for each command.

use crate::OpsError;
use chrono::{DateTime, Utc};
use cpor_domain::ids::ClaimId;
use cpor_domain::time::parse_instant;
use std::path::PathBuf;

const HELP: &str = "\
cpor-ops: operator commands for a cpor stack (deployed, or the local one)

Usage: cpor-ops COMMAND [ARGS] [OPTIONS]

Commands:
  redrive              move the notification dead-letter queue's messages back to the queue
  resend CLAIM_ID      re-queue the customer notification of a claim stuck in `submitted`
  finalize [--at TIME] run the nightly finalization as of TIME (RFC 3339; default: now)
  import FILE.json     import partners and tenants from a reference data file
  keyring STEP         rotate the opt-out links' signing keyring: show, add, promote, prune
  help [COMMAND]       this text, or a command's

Settings come from the options or from the variables the functions read:
  --table NAME                  CPOR_TABLE_NAME              (resend, finalize, import)
  --queue-url URL               CPOR_NOTIFICATION_QUEUE_URL  (redrive, resend)
  --dead-letter-queue-url URL   CPOR_DEAD_LETTER_QUEUE_URL   (redrive; default: the queue's own)
  --secret-arn ARN              CPOR_TOKEN_SECRET_ARN        (keyring)
AWS credentials, region and profile are the SDK's usual ones (AWS_PROFILE, AWS_REGION, ...);
AWS_ENDPOINT_URL points the commands at an emulator (the local stack writes .run/local.env).

Each command prints its result as one JSON object on stdout, and what it did on stderr.
Exit codes: 0 done, 1 the operation failed or was refused, 2 usage or configuration error.";

const REDRIVE_HELP: &str = "\
cpor-ops redrive: move every message of the notification dead-letter queue back to the
notification queue, where notify-customer sends the e-mails it could not send before.

Usage: cpor-ops redrive [--queue-url URL] [--dead-letter-queue-url URL]

  --queue-url URL               the notification queue (default: CPOR_NOTIFICATION_QUEUE_URL)
  --dead-letter-queue-url URL   its dead-letter queue (default: CPOR_DEAD_LETTER_QUEUE_URL, else
                                the queue named by the notification queue's RedrivePolicy)

A message leaves the dead-letter queue only once it is on the notification queue: an
interrupted redrive loses nothing, and running it again moves what is left. Fix the cause
first (see the notify-customer logs): a message that fails five more times comes back.
Prints {\"redriven\": N, \"from\": DLQ_URL, \"to\": QUEUE_URL}.";

const RESEND_HELP: &str = "\
cpor-ops resend: queue the customer notification of a claim that is still `submitted` (its
message was lost, or was dropped from the dead-letter queue), exactly as submission queues it.

Usage: cpor-ops resend CLAIM_ID [--table NAME] [--queue-url URL]

  CLAIM_ID          the claim's id (26 characters, e.g. 01JDX3Z8Q6V6W4S0Y1B2C3D4E5)
  --table NAME      the table (default: CPOR_TABLE_NAME)
  --queue-url URL   the notification queue (default: CPOR_NOTIFICATION_QUEUE_URL)

Refuses (exit 1) an unknown claim and a claim in any other status: its customer was notified
already, or the claim has left the lifecycle. Safe to repeat: notify-customer sends a claim's
e-mail at most once, however many messages name it.
Prints {\"claim_id\": ID, \"status\": \"submitted\", \"queued\": true}.";

const FINALIZE_HELP: &str = "\
cpor-ops finalize: run finalize-association as the nightly schedule would at TIME: every claim
awaiting its customer whose opt-out deadline is before TIME becomes `associated`.

Usage: cpor-ops finalize [--at TIME] [--table NAME]

  --at TIME      RFC 3339, e.g. 2026-12-03T02:00:00Z (default: now)
  --table NAME   the table (default: CPOR_TABLE_NAME)

Safe to run twice, and catches up on every night missed. A TIME in the future associates
claims whose customers may still opt out until their deadline: give the time of the run
that failed, or now.
Prints the run's summary {\"now\", \"due\", \"finalized\", \"already_decided\", \"failed\"};
exits 1 when a claim could not be written (run it again: it retries only those).";

const IMPORT_HELP: &str = "\
cpor-ops import: import partners and tenants into the table from a JSON file shaped as
POST /_local/seed takes it (see infra/local/examples/seed.json):

  { \"partners\": [{ \"partner_id\", \"name\", \"programs\": [...] }],
    \"tenants\":  [{ \"tenant_id\", \"domains\": [...], \"subscriptions\": [{ \"subscription_id\", \"workload\" }] }] }

Usage: cpor-ops import FILE.json [--table NAME] [--dry-run]

  --table NAME   the table (default: CPOR_TABLE_NAME)
  --dry-run      check the file and print the counts, write nothing

The whole file is checked first: with any fault, every fault is named (e.g.
partners[2].programs[0]) and nothing is written (exit 1). A record replaces the stored record
with the same id; records not in the file are left alone. Importing the same file again is
harmless.
Prints {\"partners\": N, \"tenants\": M, \"written\": true|false}.";

const KEYRING_HELP: &str = "\
cpor-ops keyring: rotate the secret that signs the opt-out links, in steps that each keep every
link already e-mailed working (each link names the key that signed it).

Usage: cpor-ops keyring STEP [--secret-arn ARN] [--key-id ID] [OPTIONS]

Steps:
  show                 the keyring's key ids, which one signs, and when the others retire
  add [--new-key-id ID]
                       add a new random key (32 bytes) that verifies but does not sign yet
                       (default id: the next k<n>)
  promote [--new-key-id ID] [--retire-in-days N | --retire-at TIME]
                       the added key signs from now on; the key that signed until now retires
                       N days from now (default 30: after the last window it signed has closed)
  prune                remove the keys that have retired

  --secret-arn ARN     the secret (default: CPOR_TOKEN_SECRET_ARN; stack output OptOutTokenSecretArn)
  --key-id ID          the id of a plain (not yet rotated) secret's key (default:
                       CPOR_TOKEN_KEY_ID, else k1; the stack parameter TokenKeyId)

Each step writes a new version of the secret only if the keyring stays valid, and never prints
a secret. The functions read the secret at start-up: after add and after promote, give
notify-customer and record-opt-out new execution environments (docs/runbook.md, \"Rotating the
opt-out secret\") before the next step.
Prints {\"current\": ID, \"keys\": [{\"id\", \"retire_at\"}], \"written\": true|false}.";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Print this help text.
    Help(&'static str),
    /// Run a command.
    Command(Command),
}

/// A command with its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `redrive`.
    Redrive(RedriveOptions),
    /// `resend CLAIM_ID`.
    Resend(ResendOptions),
    /// `finalize [--at TIME]`.
    Finalize(FinalizeOptions),
    /// `import FILE`.
    Import(ImportOptions),
    /// `keyring STEP`.
    Keyring(KeyringOptions),
}

/// A step of a keyring rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStep {
    /// Print the keyring without its secrets.
    Show,
    /// Add a key that verifies but does not sign.
    Add {
        /// Its id; the next `k<n>` when absent.
        new_key_id: Option<String>,
    },
    /// Make the added key sign; the old one retires.
    Promote {
        /// The key to promote; the only added one when absent.
        new_key_id: Option<String>,
        /// When the old key retires.
        retire: Retire,
    },
    /// Remove the retired keys.
    Prune,
}

/// When the key that signed until a promotion retires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retire {
    /// So many days from now.
    InDays(u32),
    /// At this time.
    At(DateTime<Utc>),
}

/// The options of `keyring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyringOptions {
    /// The step.
    pub step: KeyringStep,
    /// The secret's ARN, if given on the command line.
    pub secret_arn: Option<String>,
    /// The id of a plain secret's key, if given on the command line.
    pub key_id: Option<String>,
}

/// The options of `redrive`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RedriveOptions {
    /// The notification queue, if given on the command line.
    pub queue_url: Option<String>,
    /// Its dead-letter queue, if given on the command line.
    pub dead_letter_queue_url: Option<String>,
}

/// The options of `resend`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendOptions {
    /// The claim.
    pub claim_id: ClaimId,
    /// The table, if given on the command line.
    pub table: Option<String>,
    /// The notification queue, if given on the command line.
    pub queue_url: Option<String>,
}

/// The options of `finalize`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FinalizeOptions {
    /// The time the run acts as; now when absent.
    pub at: Option<DateTime<Utc>>,
    /// The table, if given on the command line.
    pub table: Option<String>,
}

/// The options of `import`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// The reference data file.
    pub file: PathBuf,
    /// The table, if given on the command line.
    pub table: Option<String>,
    /// Check only.
    pub dry_run: bool,
}

fn usage(text: impl Into<String>) -> OpsError {
    OpsError::Usage(text.into())
}

/// A command's arguments: its positional ones and its `--name value` options.
struct Arguments {
    command: &'static str,
    positional: Vec<String>,
    options: Vec<(String, Option<String>)>,
}

impl Arguments {
    /// Splits `args`; `valued` options take a value (`--name value` or `--name=value`),
    /// `switches` take none.
    fn split(
        command: &'static str,
        args: &[String],
        valued: &[&str],
        switches: &[&str],
    ) -> Result<Self, OpsError> {
        let mut positional = Vec::new();
        let mut options = Vec::new();
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                if arg.starts_with('-') && arg.len() > 1 {
                    return Err(usage(format!("{command}: unknown option {arg}")));
                }
                positional.push(arg.clone());
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (flag, None),
            };
            if valued.contains(&name) {
                let value = match inline {
                    Some(value) => value,
                    None => rest
                        .next()
                        .cloned()
                        .ok_or_else(|| usage(format!("{command}: --{name} needs a value")))?,
                };
                if value.is_empty() {
                    return Err(usage(format!("{command}: --{name} needs a value")));
                }
                options.push((name.to_owned(), Some(value)));
            } else if switches.contains(&name) && inline.is_none() {
                options.push((name.to_owned(), None));
            } else {
                return Err(usage(format!("{command}: unknown option --{name}")));
            }
        }
        Ok(Self {
            command,
            positional,
            options,
        })
    }

    fn value(&self, name: &str) -> Option<String> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.clone())
    }

    fn switch(&self, name: &str) -> bool {
        self.options.iter().any(|(n, _)| n == name)
    }

    /// Exactly `names.len()` positional arguments.
    fn positional(&self, names: &[&str]) -> Result<Vec<String>, OpsError> {
        if self.positional.len() == names.len() {
            return Ok(self.positional.clone());
        }
        let expected = if names.is_empty() {
            "no arguments".to_owned()
        } else {
            names.join(" ")
        };
        Err(usage(format!(
            "{} takes {expected}; got {}",
            self.command,
            if self.positional.is_empty() {
                "none".to_owned()
            } else {
                self.positional.join(" ")
            }
        )))
    }
}

fn help_of(command: &str) -> Option<&'static str> {
    match command {
        "redrive" => Some(REDRIVE_HELP),
        "resend" => Some(RESEND_HELP),
        "finalize" => Some(FINALIZE_HELP),
        "import" => Some(IMPORT_HELP),
        "keyring" => Some(KEYRING_HELP),
        _ => None,
    }
}

/// Parses the command line (without the program's name).
pub fn parse(args: &[String]) -> Result<Parsed, OpsError> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Parsed::Help(HELP));
    };
    match command.as_str() {
        "-h" | "--help" | "help" => {
            return match rest.first() {
                None => Ok(Parsed::Help(HELP)),
                Some(c) => help_of(c)
                    .map(Parsed::Help)
                    .ok_or_else(|| usage(format!("no command {c:?}"))),
            };
        }
        _ => {}
    }
    if rest.iter().any(|a| a == "-h" || a == "--help") {
        return help_of(command)
            .map(Parsed::Help)
            .ok_or_else(|| usage(format!("no command {command:?}")));
    }
    let command = match command.as_str() {
        "redrive" => {
            let args = Arguments::split(
                "redrive",
                rest,
                &["queue-url", "dead-letter-queue-url"],
                &[],
            )?;
            args.positional(&[])?;
            Command::Redrive(RedriveOptions {
                queue_url: args.value("queue-url"),
                dead_letter_queue_url: args.value("dead-letter-queue-url"),
            })
        }
        "resend" => {
            let args = Arguments::split("resend", rest, &["table", "queue-url"], &[])?;
            let [claim_id] = <[String; 1]>::try_from(args.positional(&["CLAIM_ID"])?)
                .map_err(|_| usage("resend takes CLAIM_ID"))?;
            let claim_id = ClaimId::parse(claim_id.trim()).ok_or_else(|| {
                usage(format!(
                    "resend: {claim_id:?} is not a claim id (26 characters, e.g. 01JDX3Z8Q6V6W4S0Y1B2C3D4E5)"
                ))
            })?;
            Command::Resend(ResendOptions {
                claim_id,
                table: args.value("table"),
                queue_url: args.value("queue-url"),
            })
        }
        "finalize" => {
            let args = Arguments::split("finalize", rest, &["at", "table"], &[])?;
            args.positional(&[])?;
            let at = match args.value("at") {
                None => None,
                Some(text) => Some(parse_instant(&text).ok_or_else(|| {
                    usage(format!(
                        "finalize: --at {text:?} is not an RFC 3339 time such as 2026-12-03T02:00:00Z"
                    ))
                })?),
            };
            Command::Finalize(FinalizeOptions {
                at,
                table: args.value("table"),
            })
        }
        "import" => {
            let args = Arguments::split("import", rest, &["table"], &["dry-run"])?;
            let [file] = <[String; 1]>::try_from(args.positional(&["FILE.json"])?)
                .map_err(|_| usage("import takes FILE.json"))?;
            Command::Import(ImportOptions {
                file: PathBuf::from(file),
                table: args.value("table"),
                dry_run: args.switch("dry-run"),
            })
        }
        "keyring" => {
            let args = Arguments::split(
                "keyring",
                rest,
                &[
                    "secret-arn",
                    "key-id",
                    "new-key-id",
                    "retire-in-days",
                    "retire-at",
                ],
                &[],
            )?;
            let [step] = <[String; 1]>::try_from(args.positional(&["STEP"])?)
                .map_err(|_| usage("keyring takes STEP"))?;
            let allowed: &[&str] = match step.as_str() {
                "show" | "prune" => &["secret-arn", "key-id"],
                "add" => &["secret-arn", "key-id", "new-key-id"],
                "promote" => &[
                    "secret-arn",
                    "key-id",
                    "new-key-id",
                    "retire-in-days",
                    "retire-at",
                ],
                other => {
                    return Err(usage(format!(
                        "keyring: no step {other:?}; the steps are show, add, promote and prune"
                    )));
                }
            };
            if let Some((name, _)) = args
                .options
                .iter()
                .find(|(n, _)| !allowed.contains(&n.as_str()))
            {
                return Err(usage(format!(
                    "keyring {step}: --{name} is not an option of this step"
                )));
            }
            let retire = match (args.value("retire-in-days"), args.value("retire-at")) {
                (Some(_), Some(_)) => {
                    return Err(usage(
                        "keyring promote: give --retire-in-days or --retire-at, not both",
                    ));
                }
                (Some(days), None) => Retire::InDays(days.parse().map_err(|_| {
                    usage(format!(
                        "keyring promote: --retire-in-days {days:?} is not a whole number of days"
                    ))
                })?),
                (None, Some(text)) => Retire::At(parse_instant(&text).ok_or_else(|| {
                    usage(format!(
                        "keyring promote: --retire-at {text:?} is not an RFC 3339 time such as 2027-01-15T00:00:00Z"
                    ))
                })?),
                (None, None) => Retire::InDays(30),
            };
            let step = match step.as_str() {
                "show" => KeyringStep::Show,
                "add" => KeyringStep::Add {
                    new_key_id: args.value("new-key-id"),
                },
                "promote" => KeyringStep::Promote {
                    new_key_id: args.value("new-key-id"),
                    retire,
                },
                _ => KeyringStep::Prune,
            };
            Command::Keyring(KeyringOptions {
                step,
                secret_arn: args.value("secret-arn"),
                key_id: args.value("key-id"),
            })
        }
        other => {
            return Err(usage(format!(
                "no command {other:?}; the commands are redrive, resend, finalize, import and keyring"
            )));
        }
    };
    Ok(Parsed::Command(command))
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
        for command in ["redrive", "resend", "finalize", "import", "keyring"] {
            let Ok(Parsed::Help(text)) = parse_line(&format!("{command} --help")) else {
                panic!("{command} --help");
            };
            assert!(text.starts_with(&format!("cpor-ops {command}:")), "{text}");
            assert_eq!(
                parse_line(&format!("help {command}")),
                Ok(Parsed::Help(text))
            );
        }
        assert_eq!(parse_line(""), Ok(Parsed::Help(HELP)));
        assert_eq!(parse_line("--help"), Ok(Parsed::Help(HELP)));
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
}
