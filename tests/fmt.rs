//! `trawl fmt`: the canonical layout of fixture files (snapshots), and on every rule file of
//! the project — the bundled pack and every fixture that parses — formatting keeps the meaning
//! and the comments (`format` checks both) and a second time changes nothing.

use trawl::syntax::format::{format, FormatError};

#[test]
fn fixtures_in_the_canonical_layout() {
    insta::glob!("fixtures/fmt/*.trawl", |path| {
        let text = std::fs::read_to_string(path).expect("fixture");
        let once = format(&text).expect("formats");
        assert_eq!(format(&once).as_ref(), Ok(&once), "a second pass changes {}", path.display());
        insta::assert_snapshot!(once);
    });
}

#[test]
fn every_rule_file_formats_the_same_twice() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    for dir in ["rules", "tests/fixtures"] {
        for entry in walkdir::WalkDir::new(root.join(dir)).sort_by_file_name() {
            let entry = entry.expect("walk");
            if entry.path().extension().is_none_or(|x| x != "trawl") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).expect("read");
            match format(&text) {
                Ok(once) => {
                    assert_eq!(format(&once).as_ref(), Ok(&once), "a second pass changes {}", entry.path().display());
                    files += 1;
                }
                Err(FormatError::Syntax) => {}
                Err(e) => panic!("{}: {e:?}", entry.path().display()),
            }
        }
    }
    assert!(files > 80, "only {files} rule files found");
}

#[test]
fn the_bundled_pack_is_formatted() {
    for (name, text) in trawl::BUNDLED.iter().filter(|(n, _)| n.ends_with(".trawl")) {
        assert_eq!(format(text).as_deref(), Ok(*text), "{name} is not formatted: run `trawl fmt rules`");
    }
}
