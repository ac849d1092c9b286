//! A document → the bundled news pack and a rule set using every construct:
//! no panic, every record's offsets slice its text (characters and bytes), the
//! backtracker and the Pike VM agree, and the step count stays within the
//! linear bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "bound.rs"]
mod bound;
use std::sync::OnceLock;
use trawl::exec::{self, Scratch};
use trawl::output::{records, OffsetUnit};
use trawl::{Options, Rules};

const EVERY_CONSTRUCT: &str = include_str!("../../tests/fixtures/fuzz/every_construct.trawl");

fn sets() -> &'static [Rules; 2] {
    static SETS: OnceLock<[Rules; 2]> = OnceLock::new();
    SETS.get_or_init(|| {
        [
            Rules::bundled_news().expect("bundled"),
            Rules::from_source("every_construct.trawl", EVERY_CONSTRUCT).expect("every-construct rules"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 64 << 10 {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let opts = Options { anchor: trawl::Date::parse("2023-05-01"), ..Default::default() };
    for rules in sets() {
        let mut scratch = Scratch::new();
        let doc = exec::document(&rules.program, text, &mut scratch);
        let ex = exec::extract(&rules.program, &doc, &opts, &mut scratch).expect("within the default limits");
        let most = bound::steps(rules, doc.tokens.len(), ex.annotations.len());
        assert!(scratch.steps() <= most, "{} steps over the bound {most}", scratch.steps());
        for unit in [OffsetUnit::Chars, OffsetUnit::Bytes] {
            for r in records(&rules.program, &doc, &ex, unit) {
                let sliced = match unit {
                    OffsetUnit::Chars => text.chars().skip(r.start).take(r.end - r.start).collect::<String>(),
                    OffsetUnit::Bytes => text[r.start..r.end].to_string(),
                };
                assert_eq!(sliced, r.text);
            }
        }
        let whole = trawl::text::Document::new(text);
        let run = |backtracking: bool| {
            let mut s = Scratch::new();
            s.set_backtracking(backtracking);
            let ex = exec::extract(&rules.program, &whole, &opts, &mut s).expect("within limits");
            records(&rules.program, &whole, &ex, OffsetUnit::Chars)
        };
        let (bt, pike) = (run(true), run(false));
        assert_eq!(bt, pike, "backtracker and Pike VM differ");
        assert_eq!(bt, records(&rules.program, &doc, &ex, OffsetUnit::Chars), "prefilter windows differ");
    }
});
