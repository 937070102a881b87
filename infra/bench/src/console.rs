//! What the console's screens cost, as a browser saw them: the browser test
//! `console_browser::a_list_or_queue_page_costs_one_api_request_and_the_first_screen_is_light`
//! (run by `make bench` just before this program) opens each screen in headless Chromium, counts
//! the API requests it made and weighs the JavaScript and CSS the first screen loaded, and writes
//! them to `costs.json`; the report reads that file.

use serde_json::Value;
use std::path::Path;

/// The first screen's files and each screen's API requests.
pub struct ConsoleCosts {
    /// Each JavaScript or CSS file the first screen loaded: its path, its size as served and
    /// compressed.
    pub files: Vec<(String, u64, u64)>,
    /// The console's budget for them, compressed, as the test holds it.
    pub budget: u64,
    /// Each screen and the API requests its opening made.
    pub screens: Vec<(String, Vec<String>)>,
}

impl ConsoleCosts {
    pub fn first_screen_gzip(&self) -> u64 {
        self.files.iter().map(|(_, _, gzip)| gzip).sum()
    }

    /// The requests of the screen named `screen` exactly.
    pub fn requests(&self, screen: &str) -> Option<usize> {
        self.screens
            .iter()
            .find(|(name, _)| name == screen)
            .map(|(_, paths)| paths.len())
    }
}

/// Reads the browser test's `costs.json`.
pub fn read(path: &Path) -> Result<ConsoleCosts, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "{}: {e} (the console's browser test writes it)",
            path.display()
        )
    })?;
    let costs: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let text_of = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let files = costs["first_screen"]["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                text_of(&f["path"]),
                f["bytes"].as_u64().unwrap_or(0),
                f["gzip_bytes"].as_u64().unwrap_or(0),
            )
        })
        .collect::<Vec<_>>();
    let screens = costs["requests"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                text_of(&s["screen"]),
                s["paths"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(text_of)
                    .collect(),
            )
        })
        .collect::<Vec<_>>();
    if files.is_empty() || screens.is_empty() {
        return Err(format!("{}: no files or no screens", path.display()));
    }
    let budget = costs["first_screen"]["budget_bytes"]
        .as_u64()
        .ok_or_else(|| format!("{}: no budget", path.display()))?;
    Ok(ConsoleCosts {
        files,
        budget,
        screens,
    })
}
