//! `import`: partners and tenants from a reference data file into the table.

use crate::cli::ImportOptions;
use crate::settings;
use crate::{OpsError, Report};
use cpor_aws::{DynamoStore, Env};
use cpor_domain::reference::ReferenceData;
use serde_json::{Value, json};

/// Reads and checks the whole file, then writes its records (unless `--dry-run`).
pub async fn run(options: &ImportOptions, env: &Env) -> Result<Report, OpsError> {
    let file = options.file.display().to_string();
    let text = std::fs::read_to_string(&options.file)
        .map_err(|e| OpsError::Usage(format!("cannot read {file}: {e}")))?;
    let data = parse(&file, &text)?;
    let counts = format!(
        "{} partner{} and {} tenant{}",
        data.partners.len(),
        if data.partners.len() == 1 { "" } else { "s" },
        data.tenants.len(),
        if data.tenants.len() == 1 { "" } else { "s" },
    );
    let result = |written: bool| json!({ "partners": data.partners.len(), "tenants": data.tenants.len(), "written": written });
    if options.dry_run {
        return Ok(Report {
            result: result(false),
            message: format!("{file} is valid: {counts}; nothing written (--dry-run)"),
        });
    }
    let table = settings::table(&options.table, env)?;
    let sdk = settings::sdk_config().await?;
    DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), &table)
        .put_reference_data(&data)
        .await
        .map_err(|e| {
            OpsError::Failed(format!(
                "the import into {table} stopped: {e}. Some records may be written; importing the same file again is harmless"
            ))
        })?;
    Ok(Report {
        result: result(true),
        message: format!("imported {counts} from {file} into {table}"),
    })
}

/// The file's reference data, or every fault of it in one error.
fn parse(file: &str, text: &str) -> Result<ReferenceData, OpsError> {
    let document: Value = serde_json::from_str(text)
        .map_err(|e| OpsError::Failed(format!("{file} is not JSON: {e}; nothing imported")))?;
    ReferenceData::parse(&document).map_err(|errors| {
        let mut message = format!(
            "{file} has {} fault{}; nothing imported:",
            errors.errors().len(),
            if errors.errors().len() == 1 { "" } else { "s" }
        );
        for error in errors.errors() {
            message.push_str(&format!(
                "\n  {}: {} ({})",
                error.field,
                error.message,
                error.code.as_str()
            ));
        }
        OpsError::Failed(message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_of_a_file_is_listed_with_its_path() {
        let text =
            r#"{ "partners": [{ "partner_id": "12", "name": "", "programs": ["osu-m365"] }] }"#;
        let error = parse("bad.json", text).unwrap_err();
        assert_eq!(error.exit_code(), 1);
        assert_eq!(
            error.to_string(),
            "bad.json has 2 faults; nothing imported:\n  partners[0].partner_id: must be 6 to 10 digits (invalid_value)\n  partners[0].name: must not be empty (empty)"
        );
        assert!(
            parse("x.json", "{ nope")
                .unwrap_err()
                .to_string()
                .starts_with("x.json is not JSON: ")
        );
    }
}
