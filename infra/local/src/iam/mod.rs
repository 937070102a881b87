//! Would AWS allow what the functions do? The emulator enforces no IAM, so the local stack
//! records every request each function's SDK sends ([`calls`]), and this module checks each
//! against the statements of that function's role in `infra/template.yaml` ([`template`],
//! evaluated as IAM does in [`policy`]).
//!
//! Every `TestStack` of the integration tests records its functions' calls (the queue poller's
//! as notify-customer's, since Lambda's event source mapping acts with the function's role) and
//! checks them when it is dropped: a call its role would refuse fails the test, naming the
//! function, the call and the statements considered. The verdicts of a test binary's stacks
//! accumulate in `target/test-output/iam/<binary>.jsonl` and `.txt` ([`report`]).
//! `cpor-ops` is an operator's identity, not a function's: its calls are not recorded.

pub mod calls;
pub mod policy;
pub mod report;
pub mod template;

pub use calls::{Arns, AwsCall, AwsCalls};
pub use template::{Deployment, Roles, TEMPLATE_PATH, TemplateError};

use crate::settings::{LocalSettings, REGION};
use std::collections::BTreeMap;
use std::fmt;

/// What the check says of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub call: AwsCall,
    /// The statement that allows it; `None` when refused.
    pub allowed_by: Option<String>,
    /// Each statement of the role and why it did not allow the call (refused calls only).
    pub considered: Vec<(String, String)>,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.allowed_by.is_some()
    }
}

impl Roles {
    /// The check of one call against its function's role.
    pub fn verdict(&self, call: &AwsCall) -> Verdict {
        let refused = |considered| Verdict {
            call: call.clone(),
            allowed_by: None,
            considered,
        };
        let Some(statements) = self.by_function.get(&call.function) else {
            return refused(vec![(
                "-".into(),
                "no function of the template builds this binary".into(),
            )]);
        };
        if let Some(deny) = statements
            .iter()
            .find(|s| s.denies() && s.applies_to(call).is_ok())
        {
            return refused(vec![(deny.name.clone(), "denies it".into())]);
        }
        match statements
            .iter()
            .find(|s| !s.denies() && s.applies_to(call).is_ok())
        {
            Some(allow) => Verdict {
                call: call.clone(),
                allowed_by: Some(allow.name.clone()),
                considered: Vec::new(),
            },
            None => refused(
                statements
                    .iter()
                    .filter(|s| !s.denies())
                    .map(|s| {
                        let why = s.applies_to(call).err().map(|m| m.to_string());
                        (s.name.clone(), why.unwrap_or_default())
                    })
                    .collect(),
            ),
        }
    }

    /// The verdict on each call.
    pub fn verdicts(&self, calls: &[AwsCall]) -> Vec<Verdict> {
        calls.iter().map(|c| self.verdict(c)).collect()
    }
}

/// The calls the template's roles would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub Vec<Verdict>);

impl Refused {
    /// `Err` with the refused verdicts, if any.
    pub fn of(verdicts: &[Verdict]) -> Result<(), Self> {
        let refused: Vec<Verdict> = verdicts.iter().filter(|v| !v.allowed()).cloned().collect();
        if refused.is_empty() {
            Ok(())
        } else {
            Err(Self(refused))
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "AWS would refuse {} call(s) the functions made: their roles in infra/template.yaml do not allow them",
            self.0.len()
        )?;
        // The same call on many items once, with a few of its items.
        let mut grouped: BTreeMap<_, Vec<&BTreeMap<String, Vec<String>>>> = BTreeMap::new();
        for v in &self.0 {
            let c = &v.call;
            grouped
                .entry((
                    &c.function,
                    &c.action,
                    &c.operation,
                    &c.resource,
                    &v.considered,
                ))
                .or_default()
                .push(&c.context);
        }
        for ((function, action, operation, resource, considered), contexts) in grouped {
            writeln!(f, "  {function}: {action} ({operation}) on {resource}")?;
            for context in contexts.iter().take(3) {
                for (key, values) in *context {
                    writeln!(f, "    with {key} {}", values.join(" "))?;
                }
            }
            if contexts.len() > 3 {
                writeln!(f, "    and {} more like it", contexts.len() - 3)?;
            }
            let considered: Vec<String> = considered
                .iter()
                .map(|(statement, why)| format!("{statement}: {why}"))
                .collect();
            writeln!(f, "    statements considered: {}", considered.join("; "))?;
        }
        Ok(())
    }
}

/// A failure of the check itself, or calls refused.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("{TEMPLATE_PATH}: {0}")]
    Unreadable(std::io::Error),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error("{0}")]
    Refused(Refused),
}

impl Deployment {
    /// The template deployed as the local stack runs: its table, its queues (named from the
    /// queue prefix as the stack's name names them), its sender, and the secret it reads if any.
    pub fn local(settings: &LocalSettings) -> Self {
        let arns = Arns::emulator(REGION);
        // No secret of its own: a name no call can carry.
        let secret = if settings.token_secret_arn.is_empty() {
            arns.secret(&format!("{}-TokenSecret-none", settings.queue_prefix))
        } else {
            settings.token_secret_arn.clone()
        };
        Self {
            stack_name: settings.queue_prefix.clone(),
            parameters: BTreeMap::from([
                ("SenderEmail".to_owned(), settings.sender.clone()),
                (
                    "TokenSecretArn".to_owned(),
                    settings.token_secret_arn.clone(),
                ),
            ]),
            physical_names: BTreeMap::from([
                ("Table".to_owned(), settings.table.clone()),
                ("TokenSecret".to_owned(), secret),
                (
                    "DocumentsBucket".to_owned(),
                    cpor_aws::schema::documents_bucket(&settings.queue_prefix),
                ),
                (
                    "EventBus".to_owned(),
                    cpor_aws::schema::event_bus(&settings.queue_prefix),
                ),
                // The key's id (its ARN's last part): `!Ref` of a key is its id.
                (
                    "WebhookKey".to_owned(),
                    settings
                        .webhook_key
                        .rsplit('/')
                        .next()
                        .filter(|id| !id.is_empty())
                        .unwrap_or("no-webhook-key")
                        .to_owned(),
                ),
            ]),
            arns,
        }
    }
}

/// The verdicts on every call a stack with `settings` recorded, against the template on disk.
pub fn verdicts(settings: &LocalSettings, calls: &AwsCalls) -> Result<Vec<Verdict>, IamError> {
    let template = std::fs::read_to_string(TEMPLATE_PATH).map_err(IamError::Unreadable)?;
    let roles = Roles::from_template(&template, &Deployment::local(settings))?;
    Ok(roles.verdicts(&calls.snapshot()))
}

/// What a stopping test stack does: checks the calls its functions made, adds the verdicts to
/// the test binary's report, and fails when a call would be refused. Nothing when the stack
/// recorded nothing.
pub fn check_stack(settings: &LocalSettings) -> Result<(), IamError> {
    let Some(calls) = &settings.aws_calls else {
        return Ok(());
    };
    let verdicts = verdicts(settings, calls)?;
    if let Err(e) = report::add(&verdicts) {
        tracing::warn!(error = %e, "could not write the IAM report");
    }
    Refused::of(&verdicts).map_err(IamError::Refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment() -> Deployment {
        Deployment::local(&LocalSettings::for_tests("http://127.0.0.1:1"))
    }

    fn roles(deployment: &Deployment) -> Roles {
        let template = std::fs::read_to_string(TEMPLATE_PATH).expect("the template");
        Roles::from_template(&template, deployment).expect("the roles are readable")
    }

    fn call(function: &str, action: &str, resource: &str, context: &[(&str, &str)]) -> AwsCall {
        AwsCall {
            function: function.into(),
            operation: "-".into(),
            action: action.into(),
            resource: resource.into(),
            context: context
                .iter()
                .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
                .collect(),
        }
    }

    const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/cpor-test";

    #[test]
    fn record_opt_out_writes_only_its_claims_items_and_releases_only_locks() {
        // GIVEN the template's roles
        let roles = roles(&deployment());
        let allowed = |action: &str, key: &str| {
            roles
                .verdict(&call(
                    "record-opt-out",
                    action,
                    TABLE,
                    &[(calls::LEADING_KEYS, key)],
                ))
                .allowed()
        };
        // THEN record-opt-out writes a claim's items and deletes a lock
        assert!(allowed(
            "dynamodb:PutItem",
            "CLAIM#01J0000000000000000000000"
        ));
        assert!(allowed("dynamodb:DeleteItem", "LOCK#t#workload#teams"));
        // AND nothing else: not the reference data, nor a claim by a delete
        assert!(!allowed("dynamodb:PutItem", "PARTNER#1234567"));
        assert!(!allowed("dynamodb:PutItem", "IDEMPOTENCY#1234567#k"));
        assert!(!allowed(
            "dynamodb:DeleteItem",
            "CLAIM#01J0000000000000000000000"
        ));
        // AND a refusal says which condition failed
        let refused = roles.verdict(&call(
            "record-opt-out",
            "dynamodb:PutItem",
            TABLE,
            &[(calls::LEADING_KEYS, "TENANT#x")],
        ));
        assert!(refused.considered.contains(&(
            "Table".to_owned(),
            "condition on dynamodb:LeadingKeys not met".to_owned()
        )));
    }

    #[test]
    fn submit_claim_reads_only_the_items_a_submission_is_checked_against() {
        // GIVEN the template's roles
        let roles = roles(&deployment());
        let allowed = |action: &str, key: &str| {
            roles
                .verdict(&call(
                    "submit-claim",
                    action,
                    TABLE,
                    &[(calls::LEADING_KEYS, key)],
                ))
                .allowed()
        };
        // THEN its one BatchGetItem reads the partner, the tenant and the idempotency record,
        // and its GetItem the lock that refused a claim, or the claim a contest is against
        for key in ["PARTNER#1234567", "TENANT#t-1", "IDEMPOTENCY#1234567#k"] {
            assert!(allowed("dynamodb:BatchGetItem", key), "{key}");
        }
        assert!(allowed("dynamodb:GetItem", "LOCK#t#workload#teams"));
        assert!(allowed(
            "dynamodb:GetItem",
            "CLAIM#01J0000000000000000000000"
        ));
        // AND nothing else: no claim in a batch, a sent e-mail's record or a contest
        assert!(!allowed(
            "dynamodb:BatchGetItem",
            "CLAIM#01J0000000000000000000000"
        ));
        for key in ["MESSAGE#m-1", "CONTEST#t#workload#teams#1234567"] {
            assert!(!allowed("dynamodb:BatchGetItem", key), "{key}");
            assert!(!allowed("dynamodb:GetItem", key), "{key}");
        }
        // AND a read whose partition the record could not tell is refused
        let unknown = call("submit-claim", "dynamodb:BatchGetItem", TABLE, &[]);
        assert!(!roles.verdict(&unknown).allowed());
    }

    #[test]
    fn a_request_over_several_partitions_needs_one_statement_that_allows_them_all() {
        // GIVEN the template's roles, and deliver-webhooks' calls over two partitions at once
        let roles = roles(&deployment());
        let over = |action: &str, keys: &[&str]| AwsCall {
            function: "deliver-webhooks".into(),
            operation: "-".into(),
            action: action.into(),
            resource: TABLE.into(),
            context: [(
                calls::LEADING_KEYS.to_owned(),
                keys.iter().map(|k| (*k).to_owned()).collect(),
            )]
            .into(),
        };
        // THEN a round's read of delivery records and partners' revisions is allowed (one
        // statement names both partitions)
        let round = over(
            "dynamodb:BatchGetItem",
            &["DELIVERY#01J0000000000000000000000/1", "WEBHOOKS#1234567"],
        );
        assert!(roles.verdict(&round).allowed());
        // AND a read over an endpoint's and a claim's partitions is refused, though one
        // statement allows each alone: IAM tests every key of a request against one statement
        let split = over(
            "dynamodb:GetItem",
            &["WEBHOOKS#1234567", "CLAIM#01J0000000000000000000000"],
        );
        for key in split.leading_keys() {
            assert!(
                roles.verdict(&over("dynamodb:GetItem", &[key])).allowed(),
                "{key}"
            );
        }
        assert!(!roles.verdict(&split).allowed());
    }

    #[test]
    fn a_condition_on_a_key_the_call_does_not_carry_refuses_rather_than_passes() {
        // GIVEN a write whose partition the record could not tell
        let roles = roles(&deployment());
        let unknown = call("notify-customer", "dynamodb:PutItem", TABLE, &[]);
        // THEN it is refused, saying so (AWS's ForAllValues over no values would pass it)
        let verdict = roles.verdict(&unknown);
        assert!(!verdict.allowed());
        assert!(verdict.considered.contains(&(
            "Table".to_owned(),
            "the call carries no dynamodb:LeadingKeys to test".to_owned()
        )));
    }

    #[test]
    fn a_kms_key_for_the_secret_lets_only_its_readers_decrypt_through_secrets_manager() {
        let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let via = [("kms:ViaService", "secretsmanager.us-east-1.amazonaws.com")];
        let functions = [
            "submit-claim",
            "manage-claims",
            "notify-customer",
            "notify-partner",
            "record-opt-out",
            "finalize-association",
        ];
        let decrypting = |roles: &Roles, context: &[(&str, &str)]| -> Vec<String> {
            functions
                .iter()
                .filter(|f| {
                    roles
                        .verdict(&call(f, "kms:Decrypt", key, context))
                        .allowed()
                })
                .map(|f| (*f).to_owned())
                .collect()
        };
        // GIVEN no key: nobody decrypts
        assert!(decrypting(&roles(&deployment()), &via).is_empty());
        // WHEN the key is given
        let mut with_key = deployment();
        with_key
            .parameters
            .insert("TokenSecretKmsKeyArn".into(), key.into());
        let roles = roles(&with_key);
        // THEN the functions that read the secret (notify-partner signs the customer's link in
        // the "it is official" e-mail) may decrypt with it through Secrets Manager, and not
        // directly
        assert_eq!(
            decrypting(&roles, &via),
            vec!["notify-customer", "notify-partner", "record-opt-out"]
        );
        assert!(
            decrypting(&roles, &[("kms:ViaService", "kms.us-east-1.amazonaws.com")]).is_empty()
        );
    }

    #[test]
    fn what_the_check_cannot_evaluate_is_an_error_not_a_pass() {
        let template = |condition: &str| {
            format!(
                r#"
Resources:
  F:
    Type: AWS::Serverless::Function
    Metadata: {{ BuildProperties: {{ Binary: f }} }}
    Properties:
      Role: !GetAtt R.Arn
  R:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement:
              - Effect: Allow
                Action: dynamodb:GetItem
                Resource: "*"
                Condition: {condition}
"#
            )
        };
        let read = |condition: &str| Roles::from_template(&template(condition), &deployment());
        assert!(read("{ StringLike: { dynamodb:LeadingKeys: CLAIM#* } }").is_ok());
        assert!(read("{ NumericLessThan: { dynamodb:Limit: 10 } }").is_err());
        assert!(read("{ StringLikeIfExists: { dynamodb:LeadingKeys: CLAIM#* } }").is_err());
    }
}
