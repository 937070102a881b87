//! The console's built files (`console/dist`, made by `make console`) under `/console/`, from
//! the same origin as the API, as CloudFront serves them from their bucket in AWS: a file by
//! its path, and the console's page for any other path under `/console/`, which is one of the
//! console's own screens (`/console/claims/01J...`). Nothing outside the directory is served.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the console is served.
pub const PREFIX: &str = "/console";

/// The built console: `CPOR_CONSOLE_DIR`, or the repository's `console/dist`.
fn directory() -> &'static Path {
    static DIRECTORY: OnceLock<PathBuf> = OnceLock::new();
    DIRECTORY.get_or_init(|| {
        std::env::var_os("CPOR_CONSOLE_DIR").map_or_else(
            || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../console/dist")),
            PathBuf::from,
        )
    })
}

/// What a path under `/console/` stands for.
#[derive(Debug, PartialEq, Eq)]
enum Resolved {
    /// `/console` without its slash: the console's address is `/console/`.
    Slash,
    /// A file of the directory.
    File(PathBuf),
    /// One of the console's screens: its page, `index.html`.
    Page,
    /// A file that is not there (a name with an extension), or a path that would leave the
    /// directory.
    Missing,
}

/// Resolves `path` (the request's, still percent-encoded) against `root`; None for a path
/// that is not the console's.
fn resolve(root: &Path, path: &str) -> Option<Resolved> {
    let rest = path.strip_prefix(PREFIX)?;
    if rest.is_empty() {
        return Some(Resolved::Slash);
    }
    let rest = rest.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Resolved::Page);
    }
    // The path is never decoded, so `%2e%2e` is a name, not a way up; a segment that is empty,
    // `.` or `..`, or holds a backslash, is refused outright.
    let segments: Vec<&str> = rest.split('/').collect();
    let (last, parents) = segments.split_last()?;
    if parents
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == ".." || s.contains('\\'))
        || *last == "."
        || *last == ".."
        || last.contains('\\')
    {
        return Some(Resolved::Missing);
    }
    if last.is_empty() {
        return Some(Resolved::Page);
    }
    let file = segments.iter().fold(root.to_path_buf(), |p, s| p.join(s));
    if file.is_file() {
        Some(Resolved::File(file))
    } else if last.contains('.') {
        Some(Resolved::Missing)
    } else {
        Some(Resolved::Page)
    }
}

/// The content type of a built file, by its extension.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The answer to a GET or HEAD under `/console`; None for any other request, which is the API's.
pub async fn serve(method: &Method, path: &str) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let root = directory();
    let answer = match resolve(root, path)? {
        Resolved::Slash => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
            response
                .headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static("/console/"));
            return Some(response);
        }
        Resolved::File(file) => file,
        Resolved::Page => root.join("index.html"),
        Resolved::Missing => return Some(text(StatusCode::NOT_FOUND, "not found")),
    };
    let bytes = match tokio::fs::read(&answer).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Some(text(
                StatusCode::NOT_FOUND,
                "the console is not built: run `make console` (make run does)",
            ));
        }
    };
    // Built assets carry a hash of their content in their names; the page and config.json do
    // not, and must be read again after a rebuild or redeploy.
    let immutable = answer.starts_with(root.join("assets"));
    let mut response = Response::new(Body::from(if method == Method::HEAD {
        Vec::new()
    } else {
        bytes
    }));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&answer)),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let framed = Framing::of(&answer);
    if let Ok(policy) = HeaderValue::from_str(&content_security_policy(framed)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    headers.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static(match framed {
            Framing::Never => "DENY",
            Framing::BySelf => "SAMEORIGIN",
        }),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Some(response)
}

/// Who may frame a page of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No one: every page but the one below.
    Never,
    /// The console's own page: `silent-callback.html`, which the identity provider's silent
    /// sign-in comes back to inside a hidden frame.
    BySelf,
}

impl Framing {
    fn of(file: &Path) -> Self {
        if file
            .file_name()
            .is_some_and(|name| name == "silent-callback.html")
        {
            Self::BySelf
        } else {
            Self::Never
        }
    }
}

/// The content security policy of the template's response headers policies (no inline script
/// or style, nothing framed but the identity providers, framed by no one), with loopback, on
/// any port, where AWS names the API's, the documents bucket's and the identity providers'
/// hosts: locally those are the emulator's and a test provider's, on ports chosen at start.
fn content_security_policy(framed: Framing) -> String {
    const LOOPBACK: &str = "http://127.0.0.1:* http://localhost:*";
    let ancestors = match framed {
        Framing::Never => "'none'",
        Framing::BySelf => "'self'",
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; connect-src 'self' {LOOPBACK}; frame-src 'self' {LOOPBACK}; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}"
    )
}

fn text(status: StatusCode, message: &'static str) -> Response {
    let mut response = Response::new(Body::from(message));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A built console in a directory of its own: the page, config.json and one asset.
    fn built() -> PathBuf {
        let root = std::env::temp_dir().join(format!("cpor-console-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(root.join("assets")).expect("a temporary directory");
        std::fs::write(root.join("index.html"), "<!doctype html>").expect("index.html");
        std::fs::write(root.join("config.json"), "{}").expect("config.json");
        std::fs::write(root.join("assets/main-abc.js"), "export {}").expect("an asset");
        root
    }

    /// A file of the built console is served by its path.
    #[test]
    fn a_built_file_is_served_by_its_path() {
        // GIVEN a built console
        let root = built();
        // WHEN its files are asked for
        // THEN each is found where it is
        assert_eq!(
            resolve(&root, "/console/assets/main-abc.js"),
            Some(Resolved::File(root.join("assets/main-abc.js")))
        );
        assert_eq!(
            resolve(&root, "/console/config.json"),
            Some(Resolved::File(root.join("config.json")))
        );
    }

    /// Any other path under /console/ is one of the console's screens: its page answers.
    #[test]
    fn a_screen_s_address_is_answered_with_the_console_s_page() {
        let root = built();
        for path in [
            "/console/",
            "/console/claims",
            "/console/claims/01JDX3K2Z4W5Y6V7T8S9R0Q1P2",
            "/console/review/",
        ] {
            assert_eq!(resolve(&root, path), Some(Resolved::Page), "{path}");
        }
        // AND /console itself leads to /console/
        assert_eq!(resolve(&root, "/console"), Some(Resolved::Slash));
    }

    /// A missing file with an extension is a 404, never the page (a missing script is no page).
    #[test]
    fn a_missing_asset_is_not_found_rather_than_the_page() {
        let root = built();
        assert_eq!(
            resolve(&root, "/console/assets/gone-123.js"),
            Some(Resolved::Missing)
        );
    }

    /// No path leaves the console's directory, however it is spelled.
    #[test]
    fn no_path_leads_out_of_the_console_s_directory() {
        // GIVEN a built console beside a secret
        let root = built();
        std::fs::write(root.join("../cpor-console-secret.txt"), "secret").expect("a file beside");
        for path in [
            "/console/../cpor-console-secret.txt",
            "/console/assets/../../cpor-console-secret.txt",
            "/console/./config.json",
            "/console//etc/passwd",
            "/console/..",
            "/console/assets/..\\..\\x.txt",
        ] {
            // WHEN a path tries to climb out
            // THEN it is not found
            assert_eq!(resolve(&root, path), Some(Resolved::Missing), "{path}");
        }
        // AND an encoded climb is only a strange name, which is not there
        assert_eq!(
            resolve(&root, "/console/%2e%2e/cpor-console-secret.txt"),
            Some(Resolved::Missing)
        );
    }

    /// Paths that are not the console's are left to the API.
    #[test]
    fn other_paths_are_the_api_s() {
        let root = built();
        assert_eq!(resolve(&root, "/v1/claims"), None);
        assert_eq!(resolve(&root, "/consoles"), None);
        assert_eq!(resolve(&root, "/opt-out/abc"), None);
    }

    /// The console's pages carry the template's policy: no inline script or style (none is
    /// allowed anywhere), framed by no one, but the silent sign-in's page by the console.
    #[test]
    fn pages_allow_no_inline_code_and_only_the_silent_sign_in_may_be_framed_by_the_console() {
        let page = content_security_policy(Framing::of(Path::new("dist/index.html")));
        let silent = content_security_policy(Framing::of(Path::new("dist/silent-callback.html")));
        for policy in [&page, &silent] {
            assert!(!policy.contains("unsafe-"), "{policy}");
            assert!(policy.contains("script-src 'self';"), "{policy}");
            assert!(policy.contains("style-src 'self';"), "{policy}");
        }
        assert!(page.ends_with("frame-ancestors 'none'"), "{page}");
        assert!(silent.ends_with("frame-ancestors 'self'"), "{silent}");
        assert_eq!(
            page.replace("'none'", "'self'"),
            silent.replace("'none'", "'self'")
        );
    }

    /// Each kind of built file goes with its content type.
    #[test]
    fn each_file_has_its_content_type() {
        assert_eq!(
            content_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            content_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("a.css")), "text/css; charset=utf-8");
        assert_eq!(content_type(Path::new("config.json")), "application/json");
        assert_eq!(
            content_type(Path::new("LICENSE")),
            "application/octet-stream"
        );
    }
}
