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

/// Chromium, or `None` after saying the test is skipped (never on CI, which installs it).
fn chromium_or_skip(what: &str) -> Option<String> {
    let browser = chromium();
    if browser.is_none() {
        assert!(std::env::var_os("CI").is_none(), "CI must have chromium (.ci/run installs it)");
        eprintln!("skipped: no chromium to {what} in (set CHROMIUM, or install Debian's chromium)");
    }
    browser
}

/// What a page's `#selftest` wrote into its `<pre id="selftest">`, opened in headless Chromium
/// with `budget` milliseconds of virtual time.
fn selftest(browser: &str, url: &str, budget: u32) -> serde_json::Value {
    let out = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .arg(format!("--virtual-time-budget={budget}"))
        .arg("--dump-dom")
        .arg(url)
        .output()
        .expect("chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom.split("<pre id=\"selftest\">").nth(1).and_then(|s| s.split("</pre>").next());
    let result = result
        .unwrap_or_else(|| panic!("no self-test in the page; chromium said {}", String::from_utf8_lossy(&out.stderr)));
    let result = result.replace("&quot;", "\"").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">");
    serde_json::from_str(&result).unwrap_or_else(|e| panic!("{e}: {result}"))
}

#[test]
fn in_a_browser_every_record_is_one_highlight_and_its_tooltip_names_the_rule() {
    let Some(browser) = chromium_or_skip("render the page") else { return };
    let dir = temp_dir("browser");
    let (page, records) = seed_page(&dir);
    let got = selftest(&browser, &format!("file://{}#selftest", page.display()), 5000);
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

/// `trawl serve` on a free port of 127.0.0.1, stopped when dropped.
struct Playground {
    child: std::process::Child,
    addr: String,
}

impl Playground {
    fn start() -> Playground {
        use std::io::BufRead;
        let mut child = trawl()
            .args(["serve", "--port", "0"])
            .current_dir(root())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run trawl serve");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("first line");
        let addr = line.split("http://").nth(1).and_then(|s| s.split('/').next()).unwrap_or_default().to_string();
        assert!(addr.starts_with("127.0.0.1:"), "it listens on 127.0.0.1 only unless told: {line}");
        Playground { child, addr }
    }

    /// One HTTP request; the status code and the body.
    fn request(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&self.addr).expect("connect");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.addr,
            body.len()
        );
        s.write_all(head.as_bytes()).and_then(|()| s.write_all(body.as_bytes())).expect("send");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        let code = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (code, out.split("\r\n\r\n").nth(1).unwrap_or_default().to_string())
    }
}

impl Drop for Playground {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_playground_answers_with_records_diagnostics_and_explanations() {
    let p = Playground::start();
    let (code, page) = p.request("GET", "/", "");
    assert_eq!(code, 200);
    for needle in ["http://", "https://", "src=", "<link"] {
        assert!(!page.contains(needle), "the page refers to `{needle}`");
    }
    let call =
        |rules: &str, text: &str| serde_json::json!({"rules": rules, "text": text, "anchor": "2023-05-01"}).to_string();
    let (code, body) = p.request(
        "POST",
        "/api/extract",
        &call("use news { Place }\nrule t { match \"talks\" emit T }", "The talks in Paris."),
    );
    assert_eq!(code, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let labels: Vec<&str> =
        v["records"].as_array().expect("records").iter().filter_map(|r| r["label"].as_str()).collect();
    assert_eq!(labels, ["T", "Place"], "{body}");
    let (_, body) = p.request("POST", "/api/extract", &call("rule t { match Titel emit T }", "x"));
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["errors"][0]["line"], 1, "{body}");
    assert!(v["diagnostics"].as_str().is_some_and(|d| d.contains("unknown name `Titel`")), "{body}");
    let explain =
        serde_json::json!({"rules": "rule t { match \"talks\" \"in\" emit T }", "text": "The talks ended.", "at": 4});
    let (_, body) = p.request("POST", "/api/explain", &explain.to_string());
    assert!(body.contains("\\\"in\\\" failed at \\\"ended\\\""), "{body}");
    // Bounded: a body over the limit is refused, unknown paths are not found.
    let (code, _) = p.request("POST", "/api/extract", &"x".repeat(5 << 20));
    assert_eq!(code, 413);
    assert_eq!(p.request("GET", "/etc/passwd", "").0, 404);
}

#[test]
fn in_a_browser_the_playground_highlights_a_typed_rule_and_shows_a_broken_ones_diagnostic() {
    let Some(browser) = chromium_or_skip("drive the playground") else { return };
    let p = Playground::start();
    let got = selftest(&browser, &format!("http://{}/#selftest", p.addr), 30000);
    assert_eq!(got["started"], true, "{got}");
    assert!(got["records"].as_u64().is_some_and(|n| n > 40), "the sample article's records: {got}");
    assert_eq!(got["highlighted"], true, "the typed rule's record is highlighted: {got}");
    assert_eq!(got["probe"], "Tokyo", "{got}");
    assert!(got["explain"].as_str().is_some_and(|e| e.starts_with("rule probe (")), "clicking explains: {got}");
    assert!(got["diagnostic"].as_str().is_some_and(|d| d.contains("unknown name `Titel`")), "{got}");
    assert!(
        got["highlights_kept"].as_u64() > got["records"].as_u64(),
        "a broken rule keeps the last highlights: {got}"
    );
}
