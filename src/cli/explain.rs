//! `trawl explain`: a rule (or a label), a text and a place in it in; why the rule matched
//! there or not, for people or as JSON, out (the work is `trawl::exec::explain`).

use super::inputs::{read_whole, Input};
use super::{anchor_and_rules, LineBreaksArg};
use std::path::PathBuf;
use std::process::ExitCode;
use trawl::check::hir::RuleId;
use trawl::exec::{self, explain::Explanation};
use trawl::Options;

/// What `trawl explain` takes.
#[derive(clap::Args)]
pub(super) struct ExplainArgs {
    /// The rule, or a label: every rule that emits it.
    rule: String,
    /// The text: a file, or `-` for standard input (or `--text`).
    input: Option<PathBuf>,
    /// The text itself.
    #[arg(long, conflicts_with = "input")]
    text: Option<String>,
    /// Rule file or folder (repeatable); the bundled news pack when absent.
    #[arg(long = "rules", short = 'r', value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Explain the attempts around this character offset.
    #[arg(long, value_name = "OFFSET", conflicts_with = "span")]
    at: Option<usize>,
    /// Explain the attempts around the first place this text occurs.
    #[arg(long, value_name = "TEXT")]
    span: Option<String>,
    /// Anchor date (YYYY-MM-DD) for relative and year-less dates.
    #[arg(long, value_name = "DATE")]
    anchor_date: Option<String>,
    /// What a single line break inside a paragraph is.
    #[arg(long, value_enum, default_value = "auto")]
    line_breaks: LineBreaksArg,
    /// For people, or one JSON document.
    #[arg(long, value_enum, default_value = "human")]
    format: ExplainFormat,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq)]
enum ExplainFormat {
    Human,
    Json,
}

pub(super) fn run(args: ExplainArgs) -> ExitCode {
    let (anchor, rules) = match anchor_and_rules(&args.anchor_date, &args.rules) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let text = match (&args.text, &args.input) {
        (Some(t), _) => t.clone(),
        (None, Some(p)) => {
            let input = if p.as_os_str() == "-" { Input::Stdin } else { Input::File(p.clone()) };
            match read_whole(&input, 64 << 20) {
                Ok(t) => t,
                Err((_, msg)) => {
                    eprintln!("trawl: {}: {msg}", p.display());
                    return ExitCode::from(2);
                }
            }
        }
        (None, None) => {
            eprintln!("trawl: explain needs a text: a file, `-`, or --text \"...\"");
            return ExitCode::from(2);
        }
    };
    let prog = &rules.program;
    let by_rule = prog.set.rules.iter().position(|r| r.name == args.rule);
    let chosen: Vec<RuleId> = match by_rule {
        Some(i) => vec![RuleId(i as u32)],
        None => prog
            .set
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.emits.iter().any(|e| prog.set.labels[e.label.0 as usize].name == args.rule))
            .map(|(i, _)| RuleId(i as u32))
            .collect(),
    };
    if chosen.is_empty() {
        eprintln!("trawl: no rule is named `{}`, and no rule emits a label of that name", args.rule);
        return ExitCode::from(2);
    }
    // The place asked about, in characters, then in tokens.
    let chars: Option<(usize, usize)> = match (&args.at, &args.span) {
        (Some(at), _) => Some((*at, at + 1)),
        (None, Some(s)) => match text.find(s.as_str()) {
            Some(b) => {
                let start = text[..b].chars().count();
                Some((start, start + s.chars().count()))
            }
            None => {
                eprintln!("trawl: --span: {s:?} does not occur in the text");
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    let opts = Options { anchor, line_breaks: args.line_breaks.into(), ..Options::default() };
    let mut scratch = exec::Scratch::new();
    let doc = trawl::text::Document::with_line_breaks(&text, opts.line_breaks);
    let ex = match exec::extract(prog, &doc, &opts, &mut scratch) {
        Ok(ex) => ex,
        Err(e) => {
            eprintln!("trawl: {e}");
            return ExitCode::from(2);
        }
    };
    let range = chars.map_or((0, 0), |c| tokens_around(&doc, c, by_rule.is_some()));
    let all: Vec<Explanation> =
        chosen.iter().map(|&r| exec::explain::explain(prog, &doc, &ex, &scratch, r, range)).collect();
    // For a label: its annotations at the place, whichever rule made them.
    let label = prog.set.labels.iter().position(|l| l.name == args.rule).filter(|_| by_rule.is_none());
    let records = match (label, chars) {
        (Some(l), Some(c)) => exec::explain::records_here(prog, &doc, &ex, trawl::check::hir::LabelId(l as u32), c),
        _ => vec![],
    };
    match args.format {
        ExplainFormat::Json => {
            let out = if by_rule.is_some() {
                serde_json::to_string_pretty(&all)
            } else {
                serde_json::to_string_pretty(&serde_json::json!({"label": args.rule, "records": records, "rules": all}))
            };
            println!("{}", out.unwrap_or_default());
        }
        ExplainFormat::Human if by_rule.is_none() => print!("{}", label_report(&args.rule, chars, &records, &all)),
        ExplainFormat::Human => {
            print!("{}", all[0].human());
            if chars.is_none() {
                println!("\n(add --span TEXT or --at OFFSET to see each attempt there and why it stopped)");
            }
        }
    }
    ExitCode::SUCCESS
}

/// The tokens whose attempts explain characters `[a, b)`: for a rule, from a few tokens before
/// (an attempt may start before what it should cover) to the last token there; for a label,
/// the first token there (each of its rules is tried at the place).
pub(super) fn tokens_around(doc: &trawl::text::Document, (a, b): (usize, usize), rule: bool) -> (u32, u32) {
    let first = doc.tokens.iter().position(|t| t.char_end as usize > a).unwrap_or(doc.tokens.len());
    let last = doc.tokens.iter().rposition(|t| (t.char_start as usize) < b).map_or(first, |i| i + 1).max(first + 1);
    let (from, to) = if rule { (first.saturating_sub(3), last) } else { (first, first + 1) };
    (from as u32, to.min(doc.tokens.len()) as u32)
}

/// A label at a place: its annotations there, then each rule that emits it, tried there.
fn label_report(
    label: &str,
    chars: Option<(usize, usize)>,
    records: &[exec::explain::Record],
    all: &[Explanation],
) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let Some((a, b)) = chars else {
        let _ = writeln!(o, "{} rules emit {label}:", all.len());
        for e in all {
            let n = e.matches.iter().filter(|m| m.fate == "in the output").count();
            let _ = writeln!(o, "  {:<32} {} ({n} of {} matches in the output)", e.rule, e.source, e.matches.len());
        }
        let _ = writeln!(o, "\n(add --span TEXT or --at OFFSET to see the {label} there and each rule's attempt)");
        return o;
    };
    let _ = writeln!(o, "{label} at characters {a}-{b}:");
    if records.is_empty() {
        let _ = writeln!(o, "  none");
    }
    for r in records {
        let fields: String = r.fields.iter().map(|(k, v)| format!(" {k}={v}")).collect();
        let _ = writeln!(o, "  {:?} by rule {}{fields}: {}", r.span.text, r.rule, r.fate);
    }
    let _ = writeln!(o, "\nthe {} rules that emit {label}, tried here:", all.len());
    for e in all {
        for t in &e.attempts {
            let _ = writeln!(o, "  {:<32} {}", e.rule, t.outcome);
            for (el, s) in &t.matched {
                let _ = writeln!(o, "  {:<32}     {el:<28} {:?}", "", s.text);
            }
        }
    }
    o
}

/// `trawl test --explain`: for each failing example, the rule's attempts in its text, around
/// the first record it misses (the whole example when it misses none).
pub(super) fn failing_examples(rules: &trawl::Rules, outcomes: &[trawl::testing::Outcome]) -> String {
    use trawl::testing::{Problem, Status};
    let prog = &rules.program;
    let mut o = String::new();
    for out in outcomes {
        let Status::Fail(problems) = &out.status else { continue };
        let Some(r) = prog
            .set
            .rules
            .iter()
            .position(|x| x.name == out.rule && prog.set.sources.location(x.span).starts_with(&out.file))
        else {
            continue;
        };
        let doc = trawl::text::Document::new(&out.text);
        let mut scratch = exec::Scratch::new();
        let Ok(ex) = exec::extract(prog, &doc, &Options::default(), &mut scratch) else { continue };
        let missing = problems.iter().find_map(|p| match p {
            Problem::Missing { text, .. } | Problem::Span { expected: text, .. } => out.text.find(text.as_str()),
            _ => None,
        });
        let range = match missing {
            Some(b) => {
                let c = out.text[..b].chars().count() as u32;
                let first = doc.tokens.iter().position(|t| t.char_end > c).unwrap_or(0) as u32;
                (first, first + 1)
            }
            None => (0, doc.tokens.len() as u32),
        };
        let e = exec::explain::explain(prog, &doc, &ex, &scratch, RuleId(r as u32), range);
        o.push_str(&format!("\nwhy {}: {} {:?}\n", out.location(), out.rule, out.text));
        o.push_str(&e.human());
    }
    o
}
