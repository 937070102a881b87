//! IAM's evaluation of identity-based policy statements, for what the roles use: actions and
//! resources with `*` and `?` wildcards, `Allow` and `Deny` (a matching `Deny` wins, and nothing
//! is allowed unless a statement allows it), and conditions with `StringEquals` and `StringLike`,
//! alone or as `ForAllValues:`/`ForAnyValue:` over a multi-valued key.
//!
//! Anything else (`NotAction`, `NotResource`, another operator) is refused when the template is
//! read; a condition on a key the call does not carry makes its statement not apply, even where
//! AWS would call `ForAllValues` over no values true: the check must not pass on what it could
//! not see.

use super::calls::AwsCall;
use serde_json::Value;
use std::fmt;

/// A statement the check cannot evaluate.
#[derive(Debug, thiserror::Error)]
#[error("statement {statement}: {problem}")]
pub struct PolicyError {
    statement: String,
    problem: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantifier {
    /// A single-valued key: its one value passes.
    Single,
    /// Every value of the key passes.
    ForAllValues,
    /// Some value of the key passes.
    ForAnyValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    StringEquals,
    StringLike,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Condition {
    quantifier: Quantifier,
    comparison: Comparison,
    key: String,
    values: Vec<String>,
}

/// One statement of a role's policy, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Its `Sid`, or its position.
    pub name: String,
    effect: Effect,
    actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<Condition>,
}

/// Why a statement does not decide a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Miss {
    Action,
    Resource,
    /// The condition on this key fails.
    Condition(String),
    /// The call carries no value of this key to test.
    NoValue(String),
}

impl fmt::Display for Miss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Action => f.write_str("action not granted"),
            Self::Resource => f.write_str("resource not named"),
            Self::Condition(key) => write!(f, "condition on {key} not met"),
            Self::NoValue(key) => write!(f, "the call carries no {key} to test"),
        }
    }
}

/// One string or a list of them.
fn strings(value: &Value) -> Option<Vec<String>> {
    match value {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => None,
    }
}

impl Statement {
    /// The `position`-th statement of a policy, from its resolved JSON.
    pub fn parse(statement: &Value, position: usize) -> Result<Self, PolicyError> {
        let name = statement["Sid"]
            .as_str()
            .map_or_else(|| format!("#{position}"), str::to_owned);
        let fail = |problem: String| PolicyError {
            statement: name.clone(),
            problem,
        };
        for unsupported in ["NotAction", "NotResource", "NotPrincipal", "Principal"] {
            if statement.get(unsupported).is_some() {
                return Err(fail(format!("{unsupported} is not evaluated")));
            }
        }
        let effect = match statement["Effect"].as_str() {
            Some("Allow") => Effect::Allow,
            Some("Deny") => Effect::Deny,
            other => return Err(fail(format!("effect {other:?}"))),
        };
        let actions = strings(&statement["Action"]).ok_or_else(|| fail("no Action list".into()))?;
        let resources =
            strings(&statement["Resource"]).ok_or_else(|| fail("no Resource list".into()))?;
        let mut conditions = Vec::new();
        if let Some(operators) = statement.get("Condition") {
            let operators = operators
                .as_object()
                .ok_or_else(|| fail("Condition is not a map".into()))?;
            for (operator, keys) in operators {
                let (quantifier, comparison) = match operator.split_once(':') {
                    Some(("ForAllValues", c)) => (Quantifier::ForAllValues, c),
                    Some(("ForAnyValue", c)) => (Quantifier::ForAnyValue, c),
                    Some(_) => return Err(fail(format!("operator {operator}"))),
                    None => (Quantifier::Single, operator.as_str()),
                };
                let comparison = match comparison {
                    "StringEquals" => Comparison::StringEquals,
                    "StringLike" => Comparison::StringLike,
                    _ => return Err(fail(format!("operator {operator}"))),
                };
                let keys = keys
                    .as_object()
                    .ok_or_else(|| fail(format!("{operator} is not a map")))?;
                for (key, values) in keys {
                    conditions.push(Condition {
                        quantifier,
                        comparison,
                        key: key.clone(),
                        values: strings(values).ok_or_else(|| fail(format!("values of {key}")))?,
                    });
                }
            }
        }
        Ok(Self {
            name,
            effect,
            actions,
            resources,
            conditions,
        })
    }

    /// Whether it allows (or denies) `call`: `Ok` when it applies, the reason when not.
    pub fn applies_to(&self, call: &AwsCall) -> Result<(), Miss> {
        if !self
            .actions
            .iter()
            .any(|a| wildcard(&a.to_ascii_lowercase(), &call.action.to_ascii_lowercase()))
        {
            return Err(Miss::Action);
        }
        if !self.resources.iter().any(|r| wildcard(r, &call.resource)) {
            return Err(Miss::Resource);
        }
        for condition in &self.conditions {
            let Some(values) = call.context.get(&condition.key).filter(|v| !v.is_empty()) else {
                return Err(Miss::NoValue(condition.key.clone()));
            };
            let passes = |value: &String| {
                condition
                    .values
                    .iter()
                    .any(|allowed| match condition.comparison {
                        Comparison::StringEquals => allowed == value,
                        Comparison::StringLike => wildcard(allowed, value),
                    })
            };
            let met = match condition.quantifier {
                Quantifier::Single => values.len() == 1 && passes(&values[0]),
                Quantifier::ForAllValues => values.iter().all(passes),
                Quantifier::ForAnyValue => values.iter().any(passes),
            };
            if !met {
                return Err(Miss::Condition(condition.key.clone()));
            }
        }
        Ok(())
    }

    /// Whether it denies what it applies to.
    pub fn denies(&self) -> bool {
        self.effect == Effect::Deny
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` any one character.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_as_iam_matches_them() {
        assert!(wildcard("dynamodb:*", "dynamodb:GetItem"));
        assert!(wildcard("CLAIM#*", "CLAIM#01J"));
        assert!(!wildcard("CLAIM#*", "LOCK#CLAIM#"));
        assert!(wildcard(
            "arn:*:table/t/index/*",
            "arn:aws:dynamodb:r:1:table/t/index/due_claims"
        ));
        assert!(!wildcard(
            "arn:aws:dynamodb:r:1:table/t",
            "arn:aws:dynamodb:r:1:table/t/index/due_claims"
        ));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "ac"));
        assert!(wildcard("*", ""));
    }
}
