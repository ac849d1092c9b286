//! A JSON Lines stream → filter mode's reader and line parser (the CLI's own
//! `src/cli/inputs.rs`): every line, broken or not, yields exactly one document
//! (or error) in order, and every text a document gets extracts without panic.
#![no_main]

#[path = "../../src/cli/inputs.rs"]
#[allow(dead_code)]
mod inputs;

use inputs::{parse_line, Input, JsonlFields, JsonlReader, Source};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::sync::OnceLock;

fn rules() -> &'static trawl::Rules {
    static R: OnceLock<trawl::Rules> = OnceLock::new();
    R.get_or_init(|| trawl::Rules::bundled_news().expect("bundled"))
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 << 10 {
        return;
    }
    let path = std::env::temp_dir().join(format!("trawl-fuzz-jsonl-{}", std::process::id()));
    std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).expect("temp file");
    let src = Source { id: "-".into(), key: "stdin".into(), input: Input::File(path.clone()), size: None };
    let mut reader = JsonlReader::open(&src, 4096).expect("open");
    reader.keep_blank = true;
    let fields = JsonlFields { id: "id".into(), text: "text".into(), anchor: Some("date".into()) };
    let mut docs = 0;
    while let Some(item) = reader.next_raw(false) {
        docs += 1;
        let doc = match item {
            Ok(raw) => parse_line(&fields, 4096, raw),
            Err(d) => d,
        };
        assert!(!doc.id.is_empty());
        if let Ok(text) = doc.text {
            let _ = rules().extract(&text, &trawl::Options { anchor: doc.anchor, ..Default::default() });
        }
    }
    // One document per line: the pieces between line breaks, the last one if not empty.
    let lines = data.split(|&b| b == b'\n').count() - usize::from(data.is_empty() || data.ends_with(b"\n"));
    assert_eq!(docs, lines, "one document per line");
});
