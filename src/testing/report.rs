//! Rendering example outcomes: for people (`human`, coloured on a terminal),
//! and for CI systems (`json`, `junit` XML, `github` workflow commands).

use super::{summarize, Outcome, Problem, Status};
use serde_json::json;
use std::fmt::Write;

/// ANSI styling, on or off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Whether to emit colour codes.
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    /// Red.
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    /// Green.
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    /// Yellow.
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    /// Bold.
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

fn fields_text(fields: &[(String, String)]) -> String {
    if fields.is_empty() {
        return String::new();
    }
    let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!(" {{ {} }}", inner.join(", "))
}

/// One line per problem, as a diff: `-` expected but missing, `+` emitted
/// but not expected, `~` a field that differs.
pub fn problem_lines(problems: &[Problem], style: Style) -> Vec<String> {
    problems
        .iter()
        .map(|p| match p {
            Problem::Missing { label, text, fields, elsewhere } => {
                let note = match elsewhere {
                    Some((rule, t)) if t == text => format!("emitted by rule {rule}"),
                    Some((rule, t)) => format!("the output has {label} {t:?} from rule {rule}"),
                    None => "expected, not emitted".into(),
                };
                style.red(&format!("- {label} {text:?}{}    ({note})", fields_text(fields)))
            }
            Problem::Span { label, expected, actual } => {
                style.yellow(&format!("~ {label}: span differs: expected {expected:?}, emitted {actual:?}"))
            }
            Problem::Unexpected { label, text, fields } => {
                style.green(&format!("+ {label} {text:?}{}    (emitted, not expected)", fields_text(fields)))
            }
            Problem::Field { label, text, field, expected, actual } => style.yellow(&match actual {
                Some(a) => format!("~ {label} {text:?} field `{field}`: expected {expected}, got {a}"),
                None => format!("~ {label} {text:?} field `{field}`: expected {expected}, it is absent"),
            }),
            Problem::Shift { by } => {
                style.yellow(&format!("~ spans do not move by {by} characters when text is put before the example"))
            }
            Problem::Exceeded(why) => style.red(&format!("! {why}")),
        })
        .collect()
}

fn kind(o: &Outcome) -> &'static str {
    if o.counter {
        "counterexample"
    } else {
        "example"
    }
}

/// The human report: every failure with its diff, `todo` examples, and a
/// closing summary line (`examples: N passed, N failed`). With `verbose`,
/// a line for every passing example too.
pub fn human(outcomes: &[Outcome], style: Style, verbose: bool) -> String {
    let mut out = String::new();
    for o in outcomes {
        let head = format!("{}: {}: {} {:?}", o.location(), o.rule, kind(o), o.text);
        match &o.status {
            Status::Pass => {
                if verbose {
                    let _ = writeln!(out, "{head} ... {}", style.green("ok"));
                }
            }
            Status::Fail(problems) => {
                let _ = writeln!(out, "{head} ... {}", style.red("FAILED"));
                for l in problem_lines(problems, style) {
                    let _ = writeln!(out, "    {l}");
                }
            }
            Status::TodoFail(problems) => {
                let _ = writeln!(out, "{head} ... {}", style.yellow("todo"));
                if verbose {
                    for l in problem_lines(problems, style) {
                        let _ = writeln!(out, "    {l}");
                    }
                }
            }
            Status::TodoPass => {
                let _ = writeln!(out, "{head} ... {}", style.yellow("todo, now passing: remove `todo`"));
            }
        }
    }
    let s = summarize(outcomes);
    let mut tail = vec![];
    if s.todo > 0 {
        tail.push(format!("{} todo", s.todo));
    }
    if s.todo_passing > 0 {
        tail.push(format!("{} todo now passing", s.todo_passing));
    }
    if !out.is_empty() {
        out.push('\n');
    }
    let verdict = if s.failed > 0 { style.red("FAILED") } else { style.green("ok") };
    let _ = writeln!(out, "{} {verdict}", style.bold("trawl test"));
    let _ = writeln!(out, "examples: {} passed, {} failed", s.passed, s.failed);
    if !tail.is_empty() {
        let _ = writeln!(out, "({})", tail.join(", "));
    }
    out
}

fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Pass => "pass",
        Status::Fail(_) => "fail",
        Status::TodoFail(_) => "todo",
        Status::TodoPass => "todo_passing",
    }
}

fn problems_of(s: &Status) -> &[Problem] {
    match s {
        Status::Fail(p) | Status::TodoFail(p) => p,
        _ => &[],
    }
}

/// One JSON document: every example with its status and problems, and the summary.
pub fn json(outcomes: &[Outcome]) -> String {
    let s = summarize(outcomes);
    let examples: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| {
            json!({
                "rule": o.rule, "file": o.file, "line": o.line, "kind": kind(o), "text": o.text,
                "status": status_name(&o.status),
                "problems": problem_lines(problems_of(&o.status), Style::default()),
            })
        })
        .collect();
    let doc = json!({
        "examples": examples,
        "summary": {"passed": s.passed, "failed": s.failed, "todo": s.todo, "todo_passing": s.todo_passing},
    });
    format!("{}\n", serde_json::to_string_pretty(&doc).expect("json"))
}

/// Escapes text for XML attributes and content.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            // XML 1.0 cannot carry other control characters, not even as references.
            c if (c as u32) < 0x20 && c != '\t' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML: one test suite per rule file, one test case per example; a
/// failing example is a `<failure>`, a `todo` a `<skipped>`.
pub fn junit(outcomes: &[Outcome]) -> String {
    let s = summarize(outcomes);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"trawl\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
        outcomes.len(),
        s.failed,
        s.todo + s.todo_passing
    );
    let mut files: Vec<&str> = outcomes.iter().map(|o| o.file.as_str()).collect();
    files.dedup();
    let mut seen = std::collections::BTreeSet::new();
    files.retain(|f| seen.insert(*f));
    for f in files {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.file == f).collect();
        let fs = summarize(&mine.iter().map(|o| (*o).clone()).collect::<Vec<_>>());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            xml_escape(f),
            mine.len(),
            fs.failed,
            fs.todo + fs.todo_passing
        );
        for o in mine {
            let name = format!("{} line {}: {:?}", kind(o), o.line, o.text);
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                xml_escape(&o.rule),
                xml_escape(&name),
                xml_escape(&o.file),
                o.line
            );
            match &o.status {
                Status::Pass => out.push_str("/>\n"),
                Status::Fail(problems) => {
                    let lines = problem_lines(problems, Style::default());
                    let _ = writeln!(
                        out,
                        ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                        xml_escape(lines.first().map_or("failed", String::as_str)),
                        xml_escape(&lines.join("\n"))
                    );
                }
                Status::TodoFail(_) => out.push_str(">\n      <skipped message=\"todo\"/>\n    </testcase>\n"),
                Status::TodoPass => {
                    out.push_str(">\n      <skipped message=\"todo, now passing: remove `todo`\"/>\n    </testcase>\n")
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Escapes a GitHub workflow command's message.
pub fn gh_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a GitHub workflow command's property value.
pub fn gh_property(s: &str) -> String {
    gh_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// One GitHub Actions workflow command line (`::error` or `::notice`), at a
/// file's line when there is one, with its title and message escaped.
pub fn gh_command(command: &str, place: Option<(&str, usize)>, title: &str, message: &str) -> String {
    let place = place.map_or(String::new(), |(f, l)| format!("file={},line={l},", gh_property(f)));
    format!("::{command} {place}title={}::{}\n", gh_property(title), gh_data(message))
}

/// GitHub Actions workflow commands: one `::error` per failing example, at
/// the example's line of the rule file; a `::notice` per `todo` that passes.
pub fn github(outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    for o in outcomes {
        match &o.status {
            Status::Fail(problems) => {
                let msg = format!(
                    "{} {:?} failed\n{}",
                    kind(o),
                    o.text,
                    problem_lines(problems, Style::default()).join("\n")
                );
                out.push_str(&gh_command("error", Some((&o.file, o.line)), &format!("trawl: rule {}", o.rule), &msg));
            }
            Status::TodoPass => {
                out.push_str(&gh_command(
                    "notice",
                    Some((&o.file, o.line)),
                    &format!("trawl: rule {}", o.rule),
                    "this todo example passes now: remove `todo`",
                ));
            }
            _ => {}
        }
    }
    let s = summarize(outcomes);
    let _ = writeln!(out, "examples: {} passed, {} failed", s.passed, s.failed);
    out
}
