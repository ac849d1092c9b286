//! Syntax: rule-file text in, [`ast::RuleFile`] out.
//!
//! The pest grammar in `grammar/trawl.pest` recognises the text;
//! [`parse`] turns pest's pairs into the spanned AST and translates pest's
//! errors into diagnostics in the rule author's words. pest types never leave
//! this module. Nothing is resolved here: names, captures and regexes are
//! checked by the next stage.

pub mod ast;
mod parse;

pub mod format;
pub use parse::{leaves, parse, Leaf, LeafKind, MAX_REPEAT, MAX_RULE_FILE_BYTES, RESERVED};
