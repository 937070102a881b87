//! Condition, update and key-condition expressions, built from attribute names and values.
//!
//! Every attribute is referred to by a `#name` placeholder (so reserved words like `status`
//! need no care) and every value by a `:vN` placeholder; the placeholders a request carries
//! are exactly those its expressions use, as DynamoDB requires.

use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// The names and values of one request's expressions.
#[derive(Debug, Clone, Default)]
pub(super) struct Expression {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    /// The placeholder of attribute `name`.
    pub fn name(&mut self, name: &str) -> String {
        let placeholder = format!("#{name}");
        self.names.insert(placeholder.clone(), name.to_owned());
        placeholder
    }

    /// The placeholder of a value.
    pub fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `name = value`.
    pub fn equals(&mut self, name: &str, value: AttributeValue) -> String {
        format!("{} = {}", self.name(name), self.value(value))
    }

    /// `name < value`.
    pub fn less_than(&mut self, name: &str, value: AttributeValue) -> String {
        format!("{} < {}", self.name(name), self.value(value))
    }

    /// `name > value`.
    pub fn greater_than(&mut self, name: &str, value: AttributeValue) -> String {
        format!("{} > {}", self.name(name), self.value(value))
    }

    /// `name <= value`.
    pub fn at_most(&mut self, name: &str, value: AttributeValue) -> String {
        format!("{} <= {}", self.name(name), self.value(value))
    }

    /// `attribute_not_exists(name)`: true only where no item has this key yet.
    pub fn not_exists(&mut self, name: &str) -> String {
        format!("attribute_not_exists({})", self.name(name))
    }

    /// `attribute_exists(name)`: true only where an item has this key.
    pub fn exists(&mut self, name: &str) -> String {
        format!("attribute_exists({})", self.name(name))
    }

    /// `SET a = :v, b = :w REMOVE c, d`.
    pub fn update(&mut self, set: Vec<(&str, AttributeValue)>, remove: &[&str]) -> String {
        let set: Vec<String> = set
            .into_iter()
            .map(|(name, value)| self.equals(name, value))
            .collect();
        let remove: Vec<String> = remove.iter().map(|name| self.name(name)).collect();
        let mut clauses = Vec::new();
        if !set.is_empty() {
            clauses.push(format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            clauses.push(format!("REMOVE {}", remove.join(", ")));
        }
        clauses.join(" ")
    }

    /// The names, or `None` when no expression used one.
    pub fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    /// The values, or `None` when no expression used one.
    pub fn values(&self) -> Option<HashMap<String, AttributeValue>> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// `a AND b AND ...`.
pub(super) fn all(conditions: &[String]) -> String {
    conditions.join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expression_carries_the_placeholders_it_uses_and_no_others() {
        let mut e = Expression::default();
        let condition = all(&[
            e.equals("version", AttributeValue::N("3".into())),
            e.equals("status", AttributeValue::S("awaiting_customer".into())),
        ]);
        let update = e.update(
            vec![("status", AttributeValue::S("associated".into()))],
            &["due_shard", "due_at"],
        );
        assert_eq!(condition, "#version = :v0 AND #status = :v1");
        assert_eq!(update, "SET #status = :v2 REMOVE #due_shard, #due_at");
        let names = e.names().unwrap();
        assert_eq!(names.len(), 4);
        assert_eq!(names["#due_at"], "due_at");
        assert_eq!(e.values().unwrap().len(), 3);
        assert_eq!(Expression::default().names(), None);
    }
}
