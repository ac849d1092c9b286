//! Snapshot hygiene: no pending `.snap.new` files, and no orphaned snapshots
//! (every glob snapshot's input file still exists; every other snapshot
//! belongs to a test that still exists).

use crate::common::root;

const NAMED_SNAPSHOTS: &[&str] = &[
    "integration__compile__bundled_news_program_listing.snap",
    "integration__extract__seed_article_full_output.snap",
    "integration__cli__usage_and_rule_errors_exit_2.snap",
    "integration__cli__test_human.snap",
    "integration__cli__test_github.snap",
    "integration__cli__test_junit.snap",
    "integration__cli__snapshot_one_rule_change.snap",
    "integration__cli__check_json.snap",
    "integration__check__every_file_is_checked_whatever_fails_elsewhere.snap",
];

#[test]
fn no_pending_or_orphaned_snapshots() {
    let dir = root().join("tests/snapshots");
    let mut problems = vec![];
    for entry in std::fs::read_dir(&dir).expect("snapshots dir") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().to_string();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            problems.push(format!("{name}: pending snapshot (review it with `cargo insta review` or remove it)"));
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("snapshot");
        let header = text.split("\n---\n").next().unwrap_or("");
        let input = header.lines().find_map(|l| l.strip_prefix("input_file: "));
        match input {
            Some(input) if !root().join(input).exists() => problems.push(format!("{name}: its input {input} is gone")),
            Some(_) => {}
            None if !NAMED_SNAPSHOTS.contains(&name.as_str()) => problems.push(format!("{name}: no test writes it")),
            None => {}
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
