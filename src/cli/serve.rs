//! `trawl serve`: a playground in the browser. In: a rule file to start from (or the bundled
//! news pack used by a rule of one's own) and a text (or the bundled sample article). Out: an
//! HTTP server on 127.0.0.1 (another address only when `--address` says so) serving one page,
//! every asset embedded (`serve.html`), and two JSON calls the page makes as one types:
//!
//! - `POST /api/extract` `{"rules", "text", "anchor"}` → `{"records": [...]}` (the records of
//!   `trawl extract`, character offsets), or `{"diagnostics": "...", "errors": [{"line",
//!   "column", "severity", "message"}]}` when the rules do not compile;
//! - `POST /api/explain` `{"rules", "text", "anchor", "at", "rule"}` → `{"explanation": "..."}`:
//!   `trawl explain` for that rule (by default, each rule of the editor's file) at character `at`.
//!
//! Bounded: a request body over [`MAX_BODY`] is refused, rules and text over [`MAX_PART`]
//! each are refused, and extraction stops after [`TIME_BUDGET`]. One request at a time; the
//! last compiled rules are kept, so editing the text does not recompile them.

use super::explain::tokens_around;
use super::inputs::{read_whole, Input};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trawl::check::hir::RuleId;
use trawl::check::load::{DiskFiles, Files, WithBundled};
use trawl::output::{OffsetUnit, RecordView};
use trawl::{exec, Date, Options, Rules};

/// The largest request body.
pub(super) const MAX_BODY: usize = 4 << 20;
/// The largest rule file or text in a request.
pub(super) const MAX_PART: usize = 1 << 20;
/// The time one extraction may take.
pub(super) const TIME_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// The page, its style and script inside (and the shared mark layout, `html/marks.js`).
const PAGE: &str = include_str!("serve.html");
/// The text the playground starts with when none is given.
const SAMPLE: &str = include_str!("../../tests/corpus/japan-france-talks.txt");
/// The rule file it starts with when none is given.
const START_RULES: &str = "# The bundled news pack, and a rule of your own: edit either pane and watch the text.
# Click a highlight, or any word, to see why a rule matched there or did not.
use news { Place }

rule security_talks {
  match  t:(\"security\" | \"defence\" | \"defense\") \"talks\"
  emit   Topic { topic: t }
}
";

#[derive(clap::Args)]
pub(super) struct ServeArgs {
    /// The text to start with (the bundled sample article when absent).
    text: Option<PathBuf>,
    /// The rule file to start with in the editor; a folder is brought in with `use`.
    #[arg(long, short = 'r', value_name = "PATH")]
    rules: Option<PathBuf>,
    /// The port (0: a free one, printed on start).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The address to listen on; only 127.0.0.1 unless another is given.
    #[arg(long, default_value = "127.0.0.1")]
    address: IpAddr,
    /// Anchor date (YYYY-MM-DD) the page starts with.
    #[arg(long, value_name = "DATE")]
    anchor_date: Option<String>,
}

/// Where the editor's file is, for its `use` and `import` paths and for `source`.
struct Place {
    path: PathBuf,
}

pub(super) fn run(args: ServeArgs) -> ExitCode {
    let (rules_text, place) = match start_rules(args.rules.as_deref()) {
        Ok(x) => x,
        Err(msg) => {
            eprintln!("trawl: {msg}");
            return ExitCode::from(2);
        }
    };
    let text = match &args.text {
        None => SAMPLE.to_string(),
        Some(p) => match read_whole(&Input::File(p.clone()), MAX_PART as u64) {
            Ok(t) => t,
            Err((_, msg)) => {
                eprintln!("trawl: {}: {msg}", p.display());
                return ExitCode::from(2);
            }
        },
    };
    let anchor =
        args.anchor_date
            .clone()
            .unwrap_or_else(|| if args.text.is_none() { "2023-05-01".into() } else { String::new() });
    let server = match tiny_http::Server::http((args.address, args.port)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("trawl: cannot listen on {}:{}: {e}", args.address, args.port);
            return ExitCode::from(2);
        }
    };
    let addr =
        server.server_addr().to_ip().map_or_else(|| format!("{}:{}", args.address, args.port), |a| a.to_string());
    println!("trawl serve: http://{addr}/ (Ctrl-C to stop)");
    let _ = std::io::Write::flush(&mut std::io::stdout());
    let start = serde_json::json!({"rules": rules_text, "text": text, "anchor": anchor, "file": place.path.display().to_string()});
    let page = PAGE
        .replace("/*__MARKS__*/", trawl::html::MARKS_JS)
        .replace("\"__TRAWL_START__\"", &escape_for_script(&start.to_string()));
    let mut state = State { place, compiled: None };
    for mut req in server.incoming_requests() {
        let response = state.answer(&mut req, &page);
        let _ = req.respond(response);
    }
    ExitCode::SUCCESS
}

/// The editor's first content and where its file is.
fn start_rules(rules: Option<&Path>) -> Result<(String, Place), String> {
    let cwd = std::env::current_dir().map_err(|e| format!("no working folder: {e}"))?;
    match rules {
        None => Ok((START_RULES.to_string(), Place { path: cwd.join("playground.trawl") })),
        Some(p) if p.is_dir() => {
            let abs = cwd.join(p);
            let text = format!(
                "# The rules of {0}, and room for your own.\nuse {1:?}\n",
                p.display(),
                abs.display().to_string()
            );
            Ok((text, Place { path: cwd.join("playground.trawl") }))
        }
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok((text, Place { path: cwd.join(p) }))
        }
    }
}

struct State {
    place: Place,
    /// The last rules compiled, by their text.
    compiled: Option<(String, Result<Rules, trawl::RuleErrors>)>,
}

type Response = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

impl State {
    fn answer(&mut self, req: &mut tiny_http::Request, page: &str) -> Response {
        let json = |code: u16, v: serde_json::Value| {
            let ct = tiny_http::Header::from_bytes("Content-Type", "application/json").expect("header");
            tiny_http::Response::from_string(v.to_string()).with_status_code(code).with_header(ct)
        };
        match (req.method(), req.url()) {
            (tiny_http::Method::Get, "/") => {
                let ct = tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8").expect("header");
                tiny_http::Response::from_string(page).with_header(ct)
            }
            (tiny_http::Method::Post, url @ ("/api/extract" | "/api/explain")) => {
                let explain = url == "/api/explain";
                match read_body(req) {
                    Ok(body) => match self.call(&body, explain) {
                        Ok(v) => json(200, v),
                        Err(msg) => json(400, serde_json::json!({ "error": msg })),
                    },
                    Err(msg) => json(413, serde_json::json!({ "error": msg })),
                }
            }
            _ => json(404, serde_json::json!({"error": "not found"})),
        }
    }

    fn call(&mut self, body: &serde_json::Value, explain: bool) -> Result<serde_json::Value, String> {
        let part = |k: &str| -> Result<&str, String> {
            let s = body.get(k).and_then(|v| v.as_str()).ok_or(format!("`{k}` is missing"))?;
            if s.len() > MAX_PART {
                return Err(format!("`{k}` is longer than {MAX_PART} bytes"));
            }
            Ok(s)
        };
        let (rules_text, text) = (part("rules")?, part("text")?);
        let anchor = match body.get("anchor").and_then(|v| v.as_str()).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(Date::parse(s).ok_or(format!("`{s}` is not a date (YYYY-MM-DD)"))?),
        };
        let file = self.place.path.display().to_string();
        let rules = match self.compile(rules_text) {
            Ok(r) => r,
            Err(e) => return Ok(diagnostics(e)),
        };
        let limits = trawl::exec::Limits { timeout: Some(TIME_BUDGET), ..Default::default() };
        let opts = Options { anchor, limits, ..Options::default() };
        let mut scratch = exec::Scratch::new();
        let doc = exec::document(&rules.program, text, &mut scratch);
        let ex = exec::extract(&rules.program, &doc, &opts, &mut scratch).map_err(|e| e.to_string())?;
        if !explain {
            let mut out = Vec::from(&b"{\"records\":["[..]);
            for (n, &id) in ex.output.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                RecordView::new(&rules.program, &doc, &ex.annotations[id as usize], OffsetUnit::Chars, None)
                    .write_json(&mut out);
            }
            out.extend_from_slice(b"]}");
            return serde_json::from_slice(&out).map_err(|e| e.to_string());
        }
        let at = body.get("at").and_then(|v| v.as_u64()).ok_or("`at` is missing")? as usize;
        let prog = &rules.program;
        let chosen: Vec<RuleId> = match body.get("rule").and_then(|v| v.as_str()) {
            Some(name) => {
                prog.set.rules.iter().position(|r| r.name == name).map(|i| RuleId(i as u32)).into_iter().collect()
            }
            None => (0..prog.set.rules.len() as u32)
                .map(RuleId)
                .filter(|&r| prog.location(r).rsplit_once(':').is_some_and(|(f, _)| f == file))
                .collect(),
        };
        let range = tokens_around(&doc, (at, at + 1), true);
        let parts: Vec<String> =
            chosen.iter().map(|&r| exec::explain::explain(prog, &doc, &ex, &scratch, r, range).human()).collect();
        let explanation = if parts.is_empty() {
            "no rule of the editor's file to explain here".to_string()
        } else {
            parts.join("\n")
        };
        Ok(serde_json::json!({ "explanation": explanation }))
    }

    /// The rules of the editor's text, compiled once per text.
    fn compile(&mut self, text: &str) -> Result<&Rules, &trawl::RuleErrors> {
        if self.compiled.as_ref().is_none_or(|(t, _)| t != text) {
            let files = Editor { path: &self.place.path, text, rest: WithBundled(&DiskFiles) };
            self.compiled = Some((text.to_string(), Rules::load(std::slice::from_ref(&self.place.path), &files)));
        }
        self.compiled.as_ref().expect("compiled").1.as_ref()
    }
}

/// The editor's file in memory, every other file from disk or the bundled packs.
struct Editor<'a> {
    path: &'a Path,
    text: &'a str,
    rest: WithBundled<'a>,
}

impl Files for Editor<'_> {
    fn read(&self, path: &Path, max: u64) -> std::io::Result<String> {
        if path == self.path {
            Ok(self.text.to_string())
        } else {
            self.rest.read(path, max)
        }
    }

    fn rule_files_in(&self, path: &Path) -> Option<std::io::Result<Vec<PathBuf>>> {
        self.rest.rule_files_in(path)
    }
}

/// The errors of rules that do not compile, rendered and one by one.
fn diagnostics(e: &trawl::RuleErrors) -> serde_json::Value {
    let errors: Vec<serde_json::Value> = e
        .diagnostics
        .iter()
        .map(|d| {
            let (line, column) = d.span.map_or((0, 0), |s| e.sources.get(s.file).line_col(s.start));
            serde_json::json!({"line": line, "column": column, "severity": format!("{:?}", d.severity).to_lowercase(), "message": d.message})
        })
        .collect();
    serde_json::json!({ "diagnostics": trawl::diag::render(&e.sources, &e.diagnostics), "errors": errors })
}

fn read_body(req: &mut tiny_http::Request) -> Result<serde_json::Value, String> {
    if req.body_length().is_some_and(|n| n > MAX_BODY) {
        return Err(format!("the request is larger than {MAX_BODY} bytes"));
    }
    let mut body = Vec::new();
    req.as_reader().take(MAX_BODY as u64 + 1).read_to_end(&mut body).map_err(|e| e.to_string())?;
    if body.len() > MAX_BODY {
        return Err(format!("the request is larger than {MAX_BODY} bytes"));
    }
    serde_json::from_slice(&body).map_err(|e| format!("not JSON: {e}"))
}

/// JSON placed inside a `<script>`: no `<` that could close it.
fn escape_for_script(json: &str) -> String {
    json.replace('<', "\\u003c")
}
