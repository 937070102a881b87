//! Conversion between JSON values and DynamoDB attribute values, so that domain records with
//! serde representations are stored as native DynamoDB maps (readable in the console, and
//! addressable by condition and update expressions).

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Converts a JSON value to an attribute value.
pub fn to_attr(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attr).collect()),
        Value::Object(map) => {
            AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect())
        }
    }
}

/// Converts an attribute value to JSON; sets become arrays, binaries become null.
pub fn from_attr(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => parse_number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::L(items) => Value::Array(items.iter().map(from_attr).collect()),
        AttributeValue::M(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), from_attr(v))).collect())
        }
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| parse_number(n)).collect()),
        _ => Value::Null,
    }
}

fn parse_number(text: &str) -> Value {
    text.parse::<i64>()
        .map(Number::from)
        .ok()
        .or_else(|| text.parse::<u64>().ok().map(Number::from))
        .or_else(|| text.parse::<f64>().ok().and_then(Number::from_f64))
        .map_or(Value::Null, Value::Number)
}

/// The item form of a record that serializes to a JSON object, with `extra` attributes (keys,
/// index attributes) added.
pub fn to_item<T: serde::Serialize>(
    record: &T,
    extra: impl IntoIterator<Item = (&'static str, AttributeValue)>,
) -> Item {
    let mut item: Item = match serde_json::to_value(record) {
        Ok(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect(),
        _ => Item::new(),
    };
    item.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
    item
}

/// Reads a record back from an item, leaving out the table's keys.
pub fn from_item<T: serde::de::DeserializeOwned>(item: &Item) -> Result<T, serde_json::Error> {
    let map: Map<String, Value> = item
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "pk" | "sk"))
        .map(|(k, v)| (k.clone(), from_attr(v)))
        .collect();
    serde_json::from_value(Value::Object(map))
}

/// A string attribute.
pub fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// A number attribute.
pub fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_survives_the_round_trip_through_attribute_values() {
        let value = json!({"a": "x", "b": 3, "c": null, "d": [true, 1.5, {"e": -7}], "f": 18446744073709551615u64});
        assert_eq!(from_attr(&to_attr(&value)), value);
    }
}
