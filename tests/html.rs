//! The HTML page (`trawl extract --format html`): self-contained, every record one highlight
//! with its text, the tooltip naming the rule. The page is checked in headless Chromium when
//! one is installed (`.ci/run` installs Debian's `chromium`; elsewhere the browser part is
//! skipped and says so). The page's own `#selftest` writes what it rendered into the DOM.

use crate::common::root;
use std::process::Command;

fn trawl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
}

fn seed_page(dir: &std::path::Path) -> (std::path::PathBuf, usize) {
    let seed = root().join("tests/corpus/japan-france-talks.txt");
    let out =
        trawl().args(["extract", "--anchor-date", "2023-05-01", "--format", "html"]).arg(&seed).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let page = dir.join("seed.html");
    std::fs::write(&page, &out.stdout).expect("write");
    let jsonl = trawl().args(["extract", "--anchor-date", "2023-05-01"]).arg(&seed).output().expect("run");
    (page, String::from_utf8_lossy(&jsonl.stdout).lines().count())
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("trawl-html-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn the_page_is_self_contained_and_carries_every_record() {
    let dir = temp_dir("static");
    let (page, records) = seed_page(&dir);
    let html = std::fs::read_to_string(&page).expect("read");
    // Nothing from the network, and no text closes the script that holds the data.
    for needle in ["http://", "https://", "src=", "<link"] {
        assert!(!html.contains(needle), "the page refers to `{needle}`");
    }
    assert_eq!(html.matches("</script>").count(), 2);
    let data = html.split("id=\"trawl-data\">").nth(1).and_then(|s| s.split("</script>").next()).expect("data");
    let docs: Vec<serde_json::Value> = serde_json::from_str(data).expect("the data is JSON");
    assert_eq!(docs.len(), 2, "one document and the closing null");
    assert_eq!(docs[0]["records"].as_array().map(Vec::len), Some(records));
    assert!(docs[0]["text"].as_str().is_some_and(|t| t.starts_with("Japan, France plan")));
}

#[test]
fn a_document_that_fails_is_shown_with_its_error() {
    let dir = temp_dir("error");
    std::fs::write(dir.join("bad.txt"), [0x41, 0xff, 0x41]).expect("write");
    std::fs::write(dir.join("good.txt"), "Talks in Paris <b>on</b> May 3, 2023.").expect("write");
    let out = trawl().args(["extract", "--format", "html"]).arg(&dir).output().expect("run");
    let html = String::from_utf8_lossy(&out.stdout);
    let data = html.split("id=\"trawl-data\">").nth(1).and_then(|s| s.split("</script>").next()).expect("data");
    let docs: Vec<serde_json::Value> = serde_json::from_str(data).expect("the data is JSON");
    assert!(docs[0]["error"]["kind"].is_string(), "{}", docs[0]);
    // `<` in a text is written `\u003c`: the text survives, the script is not closed early.
    assert_eq!(docs[1]["text"], "Talks in Paris <b>on</b> May 3, 2023.");
    assert!(!data.contains('<'));
}

/// Headless Chromium, if there is one (`CHROMIUM` names another binary).
fn chromium() -> Option<String> {
    let name = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    Command::new(&name).arg("--version").output().ok().filter(|o| o.status.success()).map(|_| name)
}

#[test]
fn in_a_browser_every_record_is_one_highlight_and_its_tooltip_names_the_rule() {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI must have chromium (.ci/run installs it)");
        eprintln!("skipped: no chromium to render the page in (set CHROMIUM, or install Debian's chromium)");
        return;
    };
    let dir = temp_dir("browser");
    let (page, records) = seed_page(&dir);
    let out = Command::new(&browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(format!("file://{}#selftest", page.display()))
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom.split("<pre id=\"selftest\">").nth(1).and_then(|s| s.split("</pre>").next());
    let result = result
        .unwrap_or_else(|| panic!("no self-test in the page; chromium said {}", String::from_utf8_lossy(&out.stderr)));
    let result = result.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    let got: serde_json::Value = serde_json::from_str(&result).expect("self-test JSON");
    assert_eq!(got["records"], records);
    assert_eq!(got["highlighted"], records, "{got}");
    assert_eq!(got["wrong"], serde_json::json!([]), "records whose highlight has other text");
    assert_eq!(got["labels"].as_array().map(Vec::len), Some(10), "{got}");
    for how in ["hover", "focus"] {
        let tip = got[how].as_str().expect("tooltip");
        assert!(tip.contains("Prime Minister Fumio Kishida"), "{how}: {tip}");
        assert!(tip.contains("rule person_with_title"), "{how}: {tip}");
        assert!(tip.contains("rules/news/people/people.trawl:"), "{how}: {tip}");
    }
}
