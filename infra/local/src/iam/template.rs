//! The functions' roles as `infra/template.yaml` declares them, resolved for one deployment:
//! CloudFormation's intrinsic functions (`!Ref`, `!GetAtt`, `!Sub`, `!If`, `!Select`, `!Split`,
//! `!Join`, conditions) evaluated with the deployment's parameters and resource names, so that
//! each statement names the same ARNs the recorded calls do.
//!
//! Whatever the resolver does not understand is an error, never a guess: a check that cannot
//! read a policy must not pass.

use super::calls::Arns;
use super::policy::{PolicyError, Statement};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The SAM template, read by the check.
pub const TEMPLATE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");

/// Why the template's roles could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("the template is not readable YAML: {0}")]
    Yaml(String),
    #[error("the template uses {0}, which the IAM check cannot evaluate")]
    Unsupported(String),
    #[error("the template's {0} is malformed")]
    Malformed(String),
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

/// What the template's symbols stand for in one deployment.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// `AWS::StackName` (the local stack's queue prefix, which names its queues as the stack's
    /// name does).
    pub stack_name: String,
    /// Partition, region and account.
    pub arns: Arns,
    /// Parameter values; a parameter not given takes its default.
    pub parameters: BTreeMap<String, String>,
    /// What `!Ref` gives for the resources CloudFormation names (the table, the secret).
    pub physical_names: BTreeMap<String, String>,
}

/// Each function's statements: the policies of its role, by the binary's name.
#[derive(Debug, Clone)]
pub struct Roles {
    pub by_function: BTreeMap<String, Vec<Statement>>,
}

impl Roles {
    /// The roles of `template` (YAML, short-form tags allowed) in `deployment`.
    pub fn from_template(template: &str, deployment: &Deployment) -> Result<Self, TemplateError> {
        let yaml: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(template).map_err(|e| TemplateError::Yaml(e.to_string()))?;
        let template = long_form(yaml)?;
        let resolver = Resolver {
            template: &template,
            deployment,
        };
        let resources = template["Resources"]
            .as_object()
            .ok_or_else(|| TemplateError::Malformed("Resources".into()))?;
        if let Some(globals) = template["Globals"]["Function"].as_object()
            && (globals.contains_key("Role") || globals.contains_key("Policies"))
        {
            return Err(TemplateError::Unsupported("a role in Globals".into()));
        }
        let mut by_function = BTreeMap::new();
        for (name, resource) in resources {
            if resource["Type"] != "AWS::Serverless::Function" {
                continue;
            }
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| TemplateError::Malformed(format!("{name}'s binary")))?;
            let properties = &resource["Properties"];
            let mut documents = Vec::new();
            if let Some(role) = properties.get("Role") {
                let role = role_resource(role)
                    .ok_or_else(|| TemplateError::Unsupported(format!("{name}'s Role {role}")))?;
                let role_resource = &resources
                    .get(role)
                    .ok_or_else(|| TemplateError::Malformed(format!("{name}'s role {role}")))?;
                if role_resource["Type"] != "AWS::IAM::Role" {
                    return Err(TemplateError::Malformed(format!("{role}: not a role")));
                }
                let role_properties = &role_resource["Properties"];
                for unsupported in ["ManagedPolicyArns", "PermissionsBoundary"] {
                    if role_properties.get(unsupported).is_some() {
                        return Err(TemplateError::Unsupported(format!(
                            "{role}'s {unsupported}"
                        )));
                    }
                }
                for policy in array(&role_properties["Policies"]) {
                    documents.push(&policy["PolicyDocument"]);
                }
            }
            // SAM's own: inline policy documents only (a policy template or a managed policy's
            // name would need AWS's definitions of them).
            for policy in array(&properties["Policies"]) {
                if policy.get("Statement").is_none() {
                    return Err(TemplateError::Unsupported(format!(
                        "{name}'s policy {policy}"
                    )));
                }
                documents.push(policy);
            }
            let mut statements = Vec::new();
            for document in documents {
                let resolved = resolver.resolve(document)?.unwrap_or(Value::Null);
                for (i, statement) in array(&resolved["Statement"]).iter().enumerate() {
                    statements.push(Statement::parse(statement, i)?);
                }
            }
            by_function.insert(binary.to_owned(), statements);
        }
        Ok(Self { by_function })
    }
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

/// The logical id of `!GetAtt Role.Arn`.
fn role_resource(role: &Value) -> Option<&str> {
    match role["Fn::GetAtt"].as_array().map(Vec::as_slice) {
        Some([resource, attribute]) if attribute == "Arn" => resource.as_str(),
        _ => None,
    }
}

/// The template as JSON, the short-form tags written in long form (`!Ref X` as `{"Ref": "X"}`,
/// `!GetAtt A.B` as `{"Fn::GetAtt": ["A", "B"]}`, `!Sub s` as `{"Fn::Sub": "s"}`).
fn long_form(yaml: serde_yaml_ng::Value) -> Result<Value, TemplateError> {
    use serde_yaml_ng::Value as Y;
    Ok(match yaml {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            serde_json::to_value(n).map_err(|e| TemplateError::Malformed(e.to_string()))?
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => {
            Value::Array(items.into_iter().map(long_form).collect::<Result<_, _>>()?)
        }
        Y::Mapping(map) => {
            let mut object = Map::new();
            for (k, v) in map {
                let key = k
                    .as_str()
                    .ok_or_else(|| TemplateError::Malformed(format!("key {k:?}")))?
                    .to_owned();
                object.insert(key, long_form(v)?);
            }
            Value::Object(object)
        }
        Y::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!').to_owned();
            let value = long_form(tagged.value)?;
            match (name.as_str(), value) {
                ("Ref", v) => json!({ "Ref": v }),
                ("Condition", v) => json!({ "Condition": v }),
                ("GetAtt", Value::String(s)) => {
                    let (resource, attribute) = s
                        .split_once('.')
                        .ok_or_else(|| TemplateError::Malformed(format!("!GetAtt {s}")))?;
                    json!({ "Fn::GetAtt": [resource, attribute] })
                }
                (other, v) => json!({ format!("Fn::{other}"): v }),
            }
        }
    })
}

struct Resolver<'a> {
    template: &'a Value,
    deployment: &'a Deployment,
}

impl Resolver<'_> {
    /// `value` with every intrinsic function evaluated; `None` for `AWS::NoValue`.
    fn resolve(&self, value: &Value) -> Result<Option<Value>, TemplateError> {
        match value {
            Value::Array(items) => {
                let mut resolved = Vec::new();
                for item in items {
                    resolved.extend(self.resolve(item)?);
                }
                Ok(Some(Value::Array(resolved)))
            }
            Value::Object(map) => match map.iter().next() {
                Some((name, argument))
                    if map.len() == 1 && (name == "Ref" || name.starts_with("Fn::")) =>
                {
                    self.intrinsic(name, argument)
                }
                _ => self.object(map),
            },
            other => Ok(Some(other.clone())),
        }
    }

    fn object(&self, map: &Map<String, Value>) -> Result<Option<Value>, TemplateError> {
        let mut resolved = Map::new();
        for (k, v) in map {
            if let Some(v) = self.resolve(v)? {
                resolved.insert(k.clone(), v);
            }
        }
        Ok(Some(Value::Object(resolved)))
    }

    fn string(&self, value: &Value, what: &str) -> Result<String, TemplateError> {
        match self.resolve(value)? {
            Some(Value::String(s)) => Ok(s),
            Some(Value::Number(n)) => Ok(n.to_string()),
            other => Err(TemplateError::Malformed(format!("{what}: {other:?}"))),
        }
    }

    fn intrinsic(&self, name: &str, argument: &Value) -> Result<Option<Value>, TemplateError> {
        let args = array(argument);
        let malformed = || TemplateError::Malformed(format!("{name} {argument}"));
        match name {
            "Ref" => {
                let target = argument.as_str().ok_or_else(malformed)?;
                self.reference(target)
            }
            "Fn::GetAtt" => match args {
                [resource, attribute] => {
                    let resource = resource.as_str().ok_or_else(malformed)?;
                    let attribute = attribute.as_str().ok_or_else(malformed)?;
                    self.attribute(resource, attribute).map(Some)
                }
                _ => Err(malformed()),
            },
            "Fn::Sub" => {
                let (text, variables) = match argument {
                    Value::String(text) => (text.as_str(), None),
                    _ => match args {
                        [Value::String(text), variables] => (text.as_str(), Some(variables)),
                        _ => return Err(malformed()),
                    },
                };
                self.substitute(text, variables)
                    .map(|s| Some(Value::String(s)))
            }
            "Fn::If" => match args {
                [condition, then, otherwise] => {
                    let condition = condition.as_str().ok_or_else(malformed)?;
                    if self.condition(condition)? {
                        self.resolve(then)
                    } else {
                        self.resolve(otherwise)
                    }
                }
                _ => Err(malformed()),
            },
            "Fn::Equals" => match args {
                [a, b] => Ok(Some(Value::Bool(self.resolve(a)? == self.resolve(b)?))),
                _ => Err(malformed()),
            },
            "Fn::Not" => match args {
                [a] => Ok(Some(Value::Bool(!self.truth(a)?))),
                _ => Err(malformed()),
            },
            "Fn::And" | "Fn::Or" => {
                let mut values = Vec::new();
                for a in args {
                    values.push(self.truth(a)?);
                }
                Ok(Some(Value::Bool(if name == "Fn::And" {
                    values.iter().all(|v| *v)
                } else {
                    values.iter().any(|v| *v)
                })))
            }
            "Fn::Select" => match args {
                [index, list] => {
                    let index: usize = self
                        .string(index, "!Select's index")?
                        .parse()
                        .map_err(|_| malformed())?;
                    match self.resolve(list)? {
                        Some(Value::Array(items)) => {
                            items.get(index).cloned().map(Some).ok_or_else(malformed)
                        }
                        _ => Err(malformed()),
                    }
                }
                _ => Err(malformed()),
            },
            "Fn::Split" => match args {
                [delimiter, text] => {
                    let delimiter = delimiter.as_str().ok_or_else(malformed)?;
                    let text = self.string(text, "!Split's text")?;
                    Ok(Some(Value::Array(
                        text.split(delimiter)
                            .map(|s| Value::String(s.to_owned()))
                            .collect(),
                    )))
                }
                _ => Err(malformed()),
            },
            "Fn::Join" => match args {
                [delimiter, list] => {
                    let delimiter = delimiter.as_str().ok_or_else(malformed)?;
                    let parts = match self.resolve(list)? {
                        Some(Value::Array(items)) => items,
                        _ => return Err(malformed()),
                    };
                    let parts: Vec<String> = parts
                        .iter()
                        .map(|p| self.string(p, "!Join's part"))
                        .collect::<Result<_, _>>()?;
                    Ok(Some(Value::String(parts.join(delimiter))))
                }
                _ => Err(malformed()),
            },
            other => Err(TemplateError::Unsupported(other.to_owned())),
        }
    }

    fn truth(&self, value: &Value) -> Result<bool, TemplateError> {
        match value {
            Value::Object(map) if map.len() == 1 && map.contains_key("Condition") => {
                let name = map["Condition"]
                    .as_str()
                    .ok_or_else(|| TemplateError::Malformed(format!("{value}")))?;
                self.condition(name)
            }
            _ => match self.resolve(value)? {
                Some(Value::Bool(b)) => Ok(b),
                other => Err(TemplateError::Malformed(format!("condition {other:?}"))),
            },
        }
    }

    fn condition(&self, name: &str) -> Result<bool, TemplateError> {
        let definition = self.template["Conditions"]
            .get(name)
            .ok_or_else(|| TemplateError::Malformed(format!("condition {name}")))?;
        self.truth(definition)
    }

    fn reference(&self, target: &str) -> Result<Option<Value>, TemplateError> {
        let d = self.deployment;
        let text = |s: &str| Ok(Some(Value::String(s.to_owned())));
        match target {
            "AWS::NoValue" => return Ok(None),
            "AWS::Partition" => return text(&d.arns.partition),
            "AWS::Region" => return text(&d.arns.region),
            "AWS::AccountId" => return text(&d.arns.account),
            "AWS::StackName" => return text(&d.stack_name),
            "AWS::URLSuffix" => return text("amazonaws.com"),
            _ => {}
        }
        if let Some(parameter) = self.template["Parameters"].get(target) {
            if let Some(value) = d.parameters.get(target) {
                return text(value);
            }
            return match &parameter["Default"] {
                Value::String(s) => text(s),
                Value::Number(n) => text(&n.to_string()),
                _ => Err(TemplateError::Malformed(format!(
                    "parameter {target} without a value"
                ))),
            };
        }
        if let Some(name) = d.physical_names.get(target) {
            return text(name);
        }
        let resource = &self.template["Resources"][target];
        match resource["Type"].as_str() {
            Some("AWS::SQS::Queue") => {
                let name = self.queue_name(target)?;
                text(&format!(
                    "https://sqs.{}.amazonaws.com/{}/{name}",
                    d.arns.region, d.arns.account
                ))
            }
            Some("AWS::DynamoDB::Table" | "AWS::SecretsManager::Secret" | "AWS::KMS::Key") => Err(
                TemplateError::Malformed(format!("no physical name for {target}")),
            ),
            // Log groups, functions, APIs: their logical id serves as their name.
            Some(_) => text(target),
            None => Err(TemplateError::Malformed(format!("!Ref {target}"))),
        }
    }

    fn queue_name(&self, queue: &str) -> Result<String, TemplateError> {
        self.string(
            &self.template["Resources"][queue]["Properties"]["QueueName"],
            &format!("{queue}'s QueueName"),
        )
    }

    fn attribute(&self, resource: &str, attribute: &str) -> Result<Value, TemplateError> {
        let arns = &self.deployment.arns;
        let (p, r, a) = (&arns.partition, &arns.region, &arns.account);
        let kind = self.template["Resources"][resource]["Type"]
            .as_str()
            .unwrap_or_default();
        let name = || self.string(&json!({ "Ref": resource }), resource);
        let arn = match (kind, attribute) {
            ("AWS::DynamoDB::Table", "Arn") => arns.table(&name()?, None),
            // The stream's label is the time it was enabled: any of the table's streams.
            ("AWS::DynamoDB::Table", "StreamArn") => {
                format!("{}/stream/*", arns.table(&name()?, None))
            }
            ("AWS::Events::EventBus", "Arn") => arns.event_bus(&name()?),
            ("AWS::Events::EventBus", "Name") => name()?,
            ("AWS::SQS::Queue", "Arn") => {
                format!("arn:{p}:sqs:{r}:{a}:{}", self.queue_name(resource)?)
            }
            ("AWS::SQS::Queue", "QueueName") => self.queue_name(resource)?,
            ("AWS::Logs::LogGroup", "Arn") => {
                format!("arn:{p}:logs:{r}:{a}:log-group:{}:*", name()?)
            }
            ("AWS::IAM::Role", "Arn") => format!("arn:{p}:iam::{a}:role/{resource}"),
            ("AWS::S3::Bucket", "Arn") => format!("arn:{p}:s3:::{}", name()?),
            ("AWS::KMS::Key", "Arn") => arns.kms_key(&name()?),
            _ => {
                return Err(TemplateError::Unsupported(format!(
                    "!GetAtt {resource}.{attribute}"
                )));
            }
        };
        Ok(Value::String(arn))
    }

    /// `!Sub`: `${Name}` is `!Ref Name` (or the given variable), `${A.B}` is `!GetAtt A.B`, and
    /// `${!Literal}` is `${Literal}`.
    fn substitute(&self, text: &str, variables: Option<&Value>) -> Result<String, TemplateError> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::Malformed(format!("!Sub {text}")))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = variables.and_then(|v| v.get(name)) {
                out.push_str(&self.string(value, name)?);
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(
                    self.attribute(resource, attribute)?
                        .as_str()
                        .unwrap_or_default(),
                );
            } else {
                out.push_str(&self.string(&json!({ "Ref": name }), name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}
