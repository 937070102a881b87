//! Field-level validation: every bad field of a request is reported at once, each with a stable
//! code, the path of the field and a message a person can act on.

use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// The stable machine codes of field errors (`openapi.yaml` lists them; clients match on them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldCode {
    /// A required field is missing or null.
    Required,
    /// The field has the wrong JSON type.
    InvalidType,
    /// The text is empty or only white space.
    Empty,
    /// The text is longer than the field allows.
    TooLong,
    /// The text contains control characters.
    InvalidCharacters,
    /// Not a GUID in its hyphenated form.
    InvalidGuid,
    /// Not an e-mail address.
    InvalidEmail,
    /// Not a domain name.
    InvalidDomain,
    /// Not one of the programs.
    UnknownProgram,
    /// Not a workload of the catalogue.
    UnknownWorkload,
    /// A workload the chosen program does not cover.
    WorkloadNotInProgram,
    /// The program needs a subscription id.
    SubscriptionRequired,
    /// The program takes no subscription id.
    SubscriptionNotAllowed,
    /// Not a BCP 47 language tag.
    InvalidLocale,
    /// Not an IANA time zone name.
    InvalidTimeZone,
    /// Not a URL or document id.
    InvalidReference,
    /// Not a `YYYY-MM-DD` date.
    InvalidDate,
    /// The statement of work was signed more than 12 months ago.
    PoeTooOld,
    /// The statement of work is dated in the future.
    PoeInFuture,
    /// A field the request does not have.
    UnknownField,
    /// Not one of the values the field takes.
    InvalidValue,
    /// Not a whole number in the field's range.
    OutOfRange,
    /// A paging cursor this service did not issue.
    InvalidCursor,
    /// A customer contact's address at none of the tenant's verified domains.
    ContactDomainMismatch,
    /// A webhook URL the service will not call: not `https`, with credentials, an IP
    /// literal, or a host that is not public.
    InvalidWebhookUrl,
}

impl FieldCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::InvalidType => "invalid_type",
            Self::Empty => "empty",
            Self::TooLong => "too_long",
            Self::InvalidCharacters => "invalid_characters",
            Self::InvalidGuid => "invalid_guid",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidDomain => "invalid_domain",
            Self::UnknownProgram => "unknown_program",
            Self::UnknownWorkload => "unknown_workload",
            Self::WorkloadNotInProgram => "workload_not_in_program",
            Self::SubscriptionRequired => "subscription_required",
            Self::SubscriptionNotAllowed => "subscription_not_allowed",
            Self::InvalidLocale => "invalid_locale",
            Self::InvalidTimeZone => "invalid_time_zone",
            Self::InvalidReference => "invalid_reference",
            Self::InvalidDate => "invalid_date",
            Self::PoeTooOld => "poe_too_old",
            Self::PoeInFuture => "poe_in_future",
            Self::UnknownField => "unknown_field",
            Self::InvalidValue => "invalid_value",
            Self::OutOfRange => "out_of_range",
            Self::InvalidCursor => "invalid_cursor",
            Self::ContactDomainMismatch => "contact_domain_mismatch",
            Self::InvalidWebhookUrl => "invalid_webhook_url",
        }
    }
}

/// Why one value was refused, before it is known which field it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The stable code.
    pub code: FieldCode,
    /// What is wrong, for a person.
    pub message: String,
}

impl Invalid {
    /// A refusal with its code and message.
    pub fn new(code: FieldCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// One refused field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's path, e.g. `customer_contact.email`.
    pub field: String,
    /// The stable code.
    pub code: FieldCode,
    /// What is wrong, for a person.
    pub message: String,
}

/// Every refused field of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// The errors of a request with one refused field.
    pub fn single(field: impl Into<String>, invalid: Invalid) -> Self {
        let mut errors = Self::default();
        errors.push(field, invalid);
        errors
    }

    /// Records that `field` was refused.
    pub fn push(&mut self, field: impl Into<String>, invalid: Invalid) {
        self.0.push(FieldError {
            field: field.into(),
            code: invalid.code,
            message: invalid.message,
        });
    }

    /// True when `field` was refused.
    pub fn refuses(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// True when nothing was refused.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The refused fields, in the order they were found.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(value)` when nothing was refused, else the errors.
    pub fn into_result<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Self> {
        match (self.is_empty(), value()) {
            (true, Some(value)) => Ok(value),
            _ => Err(self),
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: Vec<&str> = self.0.iter().map(|e| e.field.as_str()).collect();
        write!(f, "invalid fields: {}", fields.join(", "))
    }
}

impl std::error::Error for ValidationErrors {}

/// Refuses text with control characters (line breaks included): they have no place in names,
/// and they are how log lines and e-mail headers get forged.
pub fn check_text(text: &str, max_chars: usize) -> Result<&str, Invalid> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(FieldCode::Empty, "must not be empty"));
    }
    if trimmed.chars().count() > max_chars {
        return Err(Invalid::new(
            FieldCode::TooLong,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Invalid::new(
            FieldCode::InvalidCharacters,
            "must not contain control characters or line breaks",
        ));
    }
    Ok(trimmed)
}

/// Reads the fields of one JSON object, recording every refusal under the field's full path.
pub struct ObjectReader<'a> {
    object: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> ObjectReader<'a> {
    /// Reads the top-level object of a request.
    pub fn new(object: &'a Map<String, Value>) -> Self {
        Self {
            object,
            prefix: String::new(),
        }
    }

    /// Reads an object found at `prefix` (an element of a list, e.g. `partners[2]`).
    pub fn at(object: &'a Map<String, Value>, prefix: impl Into<String>) -> Self {
        Self {
            object,
            prefix: prefix.into(),
        }
    }

    /// The full path of a field of this object.
    pub fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    /// Refuses every field not in `known`, naming each.
    pub fn reject_unknown(&self, known: &[&str], errors: &mut ValidationErrors) {
        for name in self.object.keys() {
            if !known.contains(&name.as_str()) {
                errors.push(
                    self.path(name),
                    Invalid::new(FieldCode::UnknownField, "is not a field of this request"),
                );
            }
        }
    }

    /// The field's value; absent and null are the same.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// A required string field; records `required` or `invalid_type`.
    pub fn required_str(&self, name: &str, errors: &mut ValidationErrors) -> Option<&'a str> {
        match self.value(name) {
            None => {
                errors.push(
                    self.path(name),
                    Invalid::new(FieldCode::Required, "is required"),
                );
                None
            }
            Some(value) => self.as_str(name, value, errors),
        }
    }

    /// An optional string field; records `invalid_type` when present but not a string.
    pub fn optional_str(&self, name: &str, errors: &mut ValidationErrors) -> Option<&'a str> {
        self.value(name)
            .and_then(|value| self.as_str(name, value, errors))
    }

    fn as_str(
        &self,
        name: &str,
        value: &'a Value,
        errors: &mut ValidationErrors,
    ) -> Option<&'a str> {
        match value.as_str() {
            Some(text) => Some(text),
            None => {
                errors.push(
                    self.path(name),
                    Invalid::new(FieldCode::InvalidType, "must be a string"),
                );
                None
            }
        }
    }

    /// A required nested object.
    pub fn required_object(
        &self,
        name: &str,
        errors: &mut ValidationErrors,
    ) -> Option<ObjectReader<'a>> {
        match self.value(name) {
            None => {
                errors.push(
                    self.path(name),
                    Invalid::new(FieldCode::Required, "is required"),
                );
                None
            }
            Some(Value::Object(object)) => Some(ObjectReader {
                object,
                prefix: self.path(name),
            }),
            Some(_) => {
                errors.push(
                    self.path(name),
                    Invalid::new(FieldCode::InvalidType, "must be an object"),
                );
                None
            }
        }
    }

    /// An optional nested object, read with `read`: `Some(None)` when absent or null, `None`
    /// when present but refused (the refusals recorded).
    pub fn optional_object<T>(
        &self,
        name: &str,
        errors: &mut ValidationErrors,
        read: impl FnOnce(&ObjectReader<'a>, &mut ValidationErrors) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.value(name) {
            None => Some(None),
            Some(Value::Object(object)) => {
                let inner = ObjectReader {
                    object,
                    prefix: self.path(name),
                };
                read(&inner, errors).map(Some)
            }
            Some(_) => {
                errors.push(
                    self.path(name),
                    Invalid::new(FieldCode::InvalidType, "must be an object"),
                );
                None
            }
        }
    }

    /// Parses a required string field with `parse`, recording its refusal.
    pub fn required<T>(
        &self,
        name: &str,
        errors: &mut ValidationErrors,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<T> {
        let text = self.required_str(name, errors)?;
        self.record(name, parse(text), errors)
    }

    /// Parses an optional string field with `parse`, recording its refusal.
    pub fn optional<T>(
        &self,
        name: &str,
        errors: &mut ValidationErrors,
        parse: impl FnOnce(&str) -> Result<T, Invalid>,
    ) -> Option<Option<T>> {
        match self.value(name) {
            None => Some(None),
            Some(value) => {
                let text = self.as_str(name, value, errors)?;
                self.record(name, parse(text), errors).map(Some)
            }
        }
    }

    /// Keeps the parsed value, or records why it was refused.
    pub fn record<T>(
        &self,
        name: &str,
        parsed: Result<T, Invalid>,
        errors: &mut ValidationErrors,
    ) -> Option<T> {
        parsed
            .map_err(|invalid| errors.push(self.path(name), invalid))
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_are_named_by_their_full_path() {
        // GIVEN a nested object with a missing field
        let body = json!({ "contact": { "name": 3 } });
        let object = body.as_object().unwrap();
        let mut errors = ValidationErrors::default();
        // WHEN both of its fields are read
        let reader = ObjectReader::new(object);
        let contact = reader.required_object("contact", &mut errors).unwrap();
        contact.required_str("name", &mut errors);
        contact.required_str("email", &mut errors);
        // THEN each refusal names its path and code
        let found: Vec<(&str, FieldCode)> = errors
            .errors()
            .iter()
            .map(|e| (e.field.as_str(), e.code))
            .collect();
        assert_eq!(
            found,
            vec![
                ("contact.name", FieldCode::InvalidType),
                ("contact.email", FieldCode::Required)
            ]
        );
    }

    #[test]
    fn text_with_line_breaks_is_refused() {
        assert_eq!(
            check_text("Sam\r\nBcc: x@y.z", 100).unwrap_err().code,
            FieldCode::InvalidCharacters
        );
        assert_eq!(check_text("   ", 100).unwrap_err().code, FieldCode::Empty);
        assert_eq!(check_text("abcd", 3).unwrap_err().code, FieldCode::TooLong);
        assert_eq!(check_text(" Sam Lee ", 100).unwrap(), "Sam Lee");
    }
}
