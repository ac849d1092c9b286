//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use trawl::diag;
use trawl::{Options, Rules};

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the project root, as the tests name files (stable in snapshots).
pub fn rel(path: &Path) -> PathBuf {
    path.strip_prefix(root()).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
}

/// Loads rules from disk with paths relative to the project root (cargo runs
/// tests there), so that diagnostics and provenance are the same on every machine.
pub fn load(path: &Path) -> Result<Rules, trawl::RuleErrors> {
    Rules::from_paths(&[rel(path)])
}

/// Loads rules that must compile.
pub fn rules(path: &Path) -> Rules {
    match load(path) {
        Ok(r) => r,
        Err(e) => panic!("{} does not compile:\n{e}", path.display()),
    }
}

/// Compiles inline rule text that must compile.
pub fn inline(text: &str) -> Rules {
    match Rules::from_source("test.trawl", text) {
        Ok(r) => r,
        Err(e) => panic!("rules do not compile:\n{e}"),
    }
}

/// Rendered diagnostics of inline rule text that must fail.
pub fn inline_errors(text: &str) -> String {
    match Rules::from_source("test.trawl", text) {
        Ok(_) => panic!("expected errors"),
        Err(e) => diag::render(&e.sources, &e.diagnostics),
    }
}

/// `label "text" {fields}` lines for the records of a text.
pub fn extract_lines(rules: &Rules, text: &str, anchor: Option<&str>) -> Vec<String> {
    let opts = Options { anchor: anchor.map(|a| trawl::Date::parse(a).expect("anchor")), ..Default::default() };
    rules
        .extract(text, &opts)
        .expect("within limits")
        .iter()
        .map(|r| {
            let mut s = format!("{} {:?}", r.label, r.text);
            for (k, v) in &r.fields {
                let v = match &v.to_json() {
                    serde_json::Value::Object(o) => o["text"].to_string(),
                    serde_json::Value::Array(a) => {
                        format!(
                            "[{}]",
                            a.iter().map(|x| x.get("text").unwrap_or(x).to_string()).collect::<Vec<_>>().join(", ")
                        )
                    }
                    other => other.to_string(),
                };
                s.push_str(&format!(" {k}={v}"));
            }
            s
        })
        .collect()
}

/// A small deterministic generator (xorshift), so that generated inputs reproduce.
pub struct Gen(pub u64);

impl Gen {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of the items.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}
