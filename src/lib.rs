//! trawl: rule-based information extraction.
//!
//! Rule files written in trawl's rule language (see `docs/LANGUAGE.md`) are
//! turned into an immutable program in four stages, each with its own types:
//!
//! 1. [`syntax`]: text → [`syntax::ast::RuleFile`] (pest grammar `grammar/trawl.pest`; spans kept);
//! 2. [`check`]: files → [`check::hir::RuleSet`] (names resolved, lexicons loaded,
//!    cascade ordered; every error in every file collected);
//! 3. [`compile`]: rule set → [`Program`] (flat instructions, token automata; `Send + Sync`);
//! 4. [`exec`]: program + [`text::Document`] → annotations, with per-thread [`exec::Scratch`].
//!
//! [`output`] turns annotations into JSON Lines records with character or
//! byte offsets. [`Rules`] wraps the whole path:
//!
//! ```
//! use trawl::{Rules, Options};
//!
//! let rules = Rules::from_source("people.trawl", r#"
//!     lexicon Title = ["President", "Prime Minister"]
//!     rule person_with_title {
//!       match  title:Title name:(cap cap?)
//!       emit   Person { name, title }
//!     }
//! "#).expect("rules compile");
//! let records = rules.extract("Talks with Prime Minister Fumio Kishida began.", &Options::default())
//!     .expect("within the default limits");
//! assert_eq!(records[0].label, "Person");
//! assert_eq!(records[0].text, "Prime Minister Fumio Kishida");
//! assert_eq!(records[0].fields["name"], "Fumio Kishida");
//! ```

#![warn(missing_docs)]

pub mod check;
pub mod compile;
pub mod diag;
pub mod eval;
pub mod exec;
pub mod html;
pub mod output;
pub mod snapshot;
pub mod source;
pub mod syntax;
pub mod testing;
pub mod text;
pub mod workload;

pub use compile::Program;
pub use exec::{Date, Exceeded, Limits, Options};
pub use output::{OffsetUnit, Record};

use check::load::{DiskFiles, EmbeddedFiles, Files};
use diag::Diagnostic;
use source::SourceMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The rule packs compiled into the binary, as `(path, contents)` pairs.
pub static BUNDLED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/bundled_rules.rs"));

/// The path of the bundled news pack inside [`BUNDLED`].
pub const BUNDLED_NEWS: &str = "rules/news";

/// Rule files that could not be loaded, with every problem found.
#[derive(Debug)]
pub struct RuleErrors {
    /// The files read, for rendering.
    pub sources: SourceMap,
    /// Errors and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&diag::render(&self.sources, &self.diagnostics))
    }
}

impl std::error::Error for RuleErrors {}

/// A compiled rule set, ready to extract from text.
#[derive(Debug)]
pub struct Rules {
    /// The compiled program.
    pub program: Program,
    /// Warnings found while loading.
    pub warnings: Vec<Diagnostic>,
}

impl Rules {
    /// Loads rule files or folders of rule files from disk.
    pub fn from_paths(paths: &[PathBuf]) -> Result<Rules, RuleErrors> {
        Rules::load(paths, &DiskFiles)
    }

    /// The bundled news pack.
    pub fn bundled_news() -> Result<Rules, RuleErrors> {
        Rules::load(&[PathBuf::from(BUNDLED_NEWS)], &EmbeddedFiles(BUNDLED))
    }

    /// A bundled pack by name: `news`, or one of its parts (`news/dates`, `news/people`, …; see
    /// [`check::load::bundled_packs`]).
    pub fn bundled(name: &str) -> Result<Rules, RuleErrors> {
        let name = name.trim_matches('/');
        if !check::load::bundled_packs().iter().any(|b| b == name) {
            let known = check::load::bundled_packs().join(", ");
            let diagnostics = vec![Diagnostic::error_nowhere(format!("there is no bundled pack `{name}`"))
                .hint(format!("the bundled packs are: {known}"))];
            return Err(RuleErrors { sources: SourceMap::new(), diagnostics });
        }
        Rules::load(&[Path::new("rules").join(name)], &EmbeddedFiles(BUNDLED))
    }

    /// Compiles one rule file given as text (it may not import or read lexicon files).
    pub fn from_source(name: &str, text: &str) -> Result<Rules, RuleErrors> {
        struct One<'a>(&'a str, &'a str);
        impl Files for One<'_> {
            fn read(&self, path: &Path, _: u64) -> std::io::Result<String> {
                if path == Path::new(self.0) {
                    Ok(self.1.to_string())
                } else {
                    Err(std::io::Error::new(std::io::ErrorKind::NotFound, "not found"))
                }
            }
            fn rule_files_in(&self, _: &Path) -> Option<std::io::Result<Vec<PathBuf>>> {
                None
            }
        }
        Rules::load(&[PathBuf::from(name)], &One(name, text))
    }

    /// Loads rules through any file source.
    pub fn load(paths: &[PathBuf], files: &dyn Files) -> Result<Rules, RuleErrors> {
        let (set, warnings) =
            check::check(paths, files).map_err(|(sources, diagnostics)| RuleErrors { sources, diagnostics })?;
        let sources = set.sources.clone();
        let program = compile::compile(set).map_err(|diagnostics| RuleErrors { sources, diagnostics })?;
        Ok(Rules { program, warnings })
    }

    /// Extracts records (character offsets) from a text; an error when the
    /// work passes `opts.limits` (nothing partial is returned).
    pub fn extract(&self, text: &str, opts: &Options) -> Result<Vec<Record>, exec::Exceeded> {
        self.extract_with(text, opts, OffsetUnit::Chars, &mut exec::Scratch::new())
    }

    /// Extracts records with a reusable scratch space and a choice of offsets.
    pub fn extract_with(
        &self,
        text: &str,
        opts: &Options,
        unit: OffsetUnit,
        scratch: &mut exec::Scratch,
    ) -> Result<Vec<Record>, exec::Exceeded> {
        let mut records = Vec::new();
        exec::extract_text(&self.program, text, opts, scratch, |_, doc, ex| {
            records.extend(output::records(&self.program, doc, ex, unit));
            true
        })?;
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn program_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<super::Program>();
        assert_send_sync::<super::Rules>();
    }
}
