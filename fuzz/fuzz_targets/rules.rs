//! Rule source text → parse, check, compile: a diagnostic or a program, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() > 16 << 10 {
        return;
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(rules) = trawl::Rules::from_source("fuzz.trawl", text) {
            // A program that compiled also runs on its own source text.
            let _ = rules.extract(text, &trawl::Options::default());
        }
    }
});
