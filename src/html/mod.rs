//! The HTML page: documents and their records in, one self-contained page out.
//!
//! `trawl extract --format html` writes [`HEAD`], then one JSON object per
//! document ([`open_document`], a [`record`] each, [`close_document`]; or
//! [`error_json`]), each followed by `,`, then [`TAIL`].
//! The page needs nothing from the network: its style sheet and script are
//! embedded from `page.css`, `marks.js` (shared with `trawl serve`) and `page.js`, and the documents travel as one
//! JSON array in a `<script type="application/json">` element, which the
//! script turns into the text with every record highlighted in its label's
//! colour (nested records inside one another, records that cross split at
//! the crossing), a legend that filters by label, and a tooltip (hover or
//! keyboard focus) with the record's label, rule, `file:line`, fields and
//! captures. Offsets are in characters, as the JSON records' default.

use crate::exec::Annotation;
use crate::output::{OffsetUnit, RecordView};
use crate::text::Document;
use crate::Program;

/// The script that lays records out as nested marks, shared with the playground.
pub const MARKS_JS: &str = include_str!("marks.js");

/// The page up to the documents' JSON array (opened).
pub const HEAD: &str = concat!(
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    "<title>trawl records</title>\n<style>\n",
    include_str!("page.css"),
    "</style>\n</head>\n<body>\n",
    "<header><h1>trawl</h1><div id=\"legend\" role=\"group\" aria-label=\"Labels\"></div></header>\n",
    "<main id=\"docs\"></main>\n<div id=\"tip\" role=\"tooltip\" hidden></div>\n",
    "<script type=\"application/json\" id=\"trawl-data\">[\n",
);

/// The rest of the page: closes the array (`null` after the last comma) and runs the script.
pub const TAIL: &str = concat!(
    "null]\n</script>\n<script>\n",
    include_str!("marks.js"),
    include_str!("page.js"),
    "</script>\n</body>\n</html>\n"
);

/// Opens one document's JSON object: its id, its text, and the array of its records, which
/// [`record`] appends to and [`close_document`] closes.
pub fn open_document(id: &str, text: &str, out: &mut Vec<u8>) {
    let mut json = Vec::new();
    json.extend_from_slice(b"{\"id\":");
    let _ = serde_json::to_writer(&mut json, id);
    json.extend_from_slice(b",\"text\":");
    let _ = serde_json::to_writer(&mut json, text);
    json.extend_from_slice(b",\"records\":[");
    push_escaped(&json, out);
}

/// Appends a record (character offsets), after a comma unless it is the document's first.
pub fn record(prog: &Program, doc: &Document, a: &Annotation, first: bool, out: &mut Vec<u8>) {
    let mut json = Vec::new();
    if !first {
        json.push(b',');
    }
    RecordView::new(prog, doc, a, OffsetUnit::Chars, None).write_json(&mut json);
    push_escaped(&json, out);
}

/// Closes a document opened by [`open_document`].
pub fn close_document(out: &mut Vec<u8>) {
    out.extend_from_slice(b"]},\n");
}

/// Appends a document that could not be processed: its id and error.
pub fn error_json(id: &str, kind: &str, message: &str, out: &mut Vec<u8>) {
    let json = serde_json::json!({"id": id, "error": {"kind": kind, "message": message}}).to_string();
    push_escaped(json.as_bytes(), out);
    out.extend_from_slice(b",\n");
}

/// JSON with every `<` written `\u003c`, so that no string can end the script element.
fn push_escaped(json: &[u8], out: &mut Vec<u8>) {
    for &b in json {
        if b == b'<' {
            out.extend_from_slice(b"\\u003c");
        } else {
            out.push(b);
        }
    }
}
