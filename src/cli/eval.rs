//! `trawl eval`: arguments in, the rules run over a gold file, scores out
//! (a table or JSON), compared with a stored baseline when one is given.
//!
//! Exit codes: 0 scored (and, with `--fail-under`, nothing fell below the
//! baseline); 1 a score fell below the baseline; 2 usage, rule or gold errors.

use super::{load_rules, parse_anchor, report as rule_errors, write_failed};
use clap::ValueEnum;
use serde_json::{json, Value as Json};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use trawl::eval::report::{self, Show};
use trawl::eval::{self, Config, LabelMap, Where};

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Rule file or folder (repeatable); the bundled news pack when absent.
    #[arg(long = "rules", short = 'r', value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Gold documents, JSON Lines: `id`, `text` and span layers (offsets in Unicode scalar values).
    #[arg(long, value_name = "FILE")]
    gold: PathBuf,
    /// The gold field with the spans to score.
    #[arg(long, default_value = "entities", value_name = "FIELD")]
    layer: String,
    /// `Label=GOLD_TYPE[|GOLD_TYPE...]`: score records of Label against gold spans of those types
    /// (repeatable; default: the news pack's Person=PERSON Place=LOC Organization=ORG, or Date=DATE for `timex`).
    #[arg(long = "map", value_name = "LABEL=TYPE")]
    map: Vec<String>,
    /// Score only gold spans (or documents, for a document field) with `field=value` or `field!=value` (repeatable).
    #[arg(long = "gold-where", value_name = "FIELD=VALUE")]
    gold_where: Vec<String>,
    /// Score only gold names: `kind == "name"` where spans have a kind, else spans with a capital letter
    /// that are not a bare pronoun.
    #[arg(long)]
    names: bool,
    /// The record field compared with the gold span's `value`.
    #[arg(long, default_value = "value", value_name = "FIELD")]
    value_field: String,
    /// The document field with the anchor date for relative dates.
    #[arg(long, default_value = "date", value_name = "FIELD")]
    anchor_field: String,
    /// Anchor date (YYYY-MM-DD) for documents without one.
    #[arg(long, value_name = "DATE")]
    anchor_date: Option<String>,
    /// List errors: false positives, false negatives, wrong values (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WHAT")]
    show: Vec<ShowArg>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: EvalFormat,
    /// Also write the JSON report (without errors) to this file, e.g. to store a new baseline.
    #[arg(long, value_name = "FILE")]
    save: Option<PathBuf>,
    /// A stored JSON report to compare with: what got better and what got worse.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// With --baseline: exit 1 when a score falls more than TOLERANCE below it (default 0).
    #[arg(long, requires = "baseline", num_args = 0..=1, require_equals = true, default_missing_value = "0",
          value_name = "TOLERANCE")]
    fail_under: Option<f64>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ShowArg {
    /// Records that match no gold span.
    Fp,
    /// Gold spans no record matches.
    Fn,
    /// Matched spans whose normalized value differs.
    Values,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum EvalFormat {
    /// Tables for people.
    Human,
    /// One JSON document (the baseline format).
    Json,
}

fn usage(msg: String) -> ExitCode {
    eprintln!("trawl: {msg}");
    ExitCode::from(2)
}

pub fn eval(args: EvalArgs) -> ExitCode {
    let mut cfg = Config::new(&args.layer);
    if !args.map.is_empty() {
        match args.map.iter().map(|m| LabelMap::parse(m)).collect::<Result<Vec<_>, _>>() {
            Ok(map) => cfg.map = map,
            Err(e) => return usage(format!("--map: {e}")),
        }
    }
    match args.gold_where.iter().map(|w| Where::parse(w)).collect::<Result<Vec<_>, _>>() {
        Ok(filters) => cfg.filters = filters,
        Err(e) => return usage(format!("--gold-where: {e}")),
    }
    cfg.names_only = args.names;
    cfg.value_field = args.value_field.clone();
    cfg.anchor_field = Some(args.anchor_field.clone());
    cfg.anchor = match parse_anchor(&args.anchor_date) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let rules = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(e) => return rule_errors(&e),
    };
    let gold_path = args.gold.display().to_string();
    let gold_text = match std::fs::read_to_string(&args.gold) {
        Ok(t) => t,
        Err(e) => return usage(format!("{gold_path}: {e}")),
    };
    let docs = match eval::read_gold(&gold_text, &cfg) {
        Ok(d) => d,
        Err(e) => return usage(format!("{gold_path}:{}: {}", e.line, e.message)),
    };
    let scores = eval::evaluate(&rules, &docs, &cfg);

    let rules_named: Vec<String> = if args.rules.is_empty() {
        vec![format!("{} (bundled)", trawl::BUNDLED_NEWS)]
    } else {
        args.rules.iter().map(|p| p.display().to_string()).collect()
    };
    let map: Vec<String> = cfg.map.iter().map(|m| format!("{}={}", m.label, m.gold.join("|"))).collect();
    let description = json!({"rules": rules_named, "gold": gold_path, "layer": cfg.layer, "map": map,
                             "gold_where": args.gold_where, "names": args.names});
    let show = Show {
        fp: args.show.contains(&ShowArg::Fp),
        fn_: args.show.contains(&ShowArg::Fn),
        values: args.show.contains(&ShowArg::Values),
    };
    let report_json = report::json(&scores, &description);
    let changes = match &args.baseline {
        None => None,
        Some(path) => {
            let baseline = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| serde_json::from_str::<Json>(&t).map_err(|e| format!("invalid JSON: {e}")))
                .and_then(|b| report::compare(&report_json, &b));
            match baseline {
                Ok(c) => Some((path.display().to_string(), c)),
                Err(e) => return usage(format!("--baseline {}: {e}", path.display())),
            }
        }
    };
    // Saved after the baseline is read, so a run may compare with and then replace the same file.
    if let Some(path) = &args.save {
        let text = serde_json::to_string_pretty(&report_json).expect("JSON serializes") + "\n";
        if let Err(e) = std::fs::write(path, text) {
            return usage(format!("{}: {e}", path.display()));
        }
    }
    let tolerance = args.fail_under.unwrap_or(f64::INFINITY);
    let fallen: Vec<&report::Change> =
        changes.iter().flat_map(|(_, c)| c.iter()).filter(|c| c.after < c.before - tolerance - 1e-9).collect();

    let text = match args.format {
        EvalFormat::Human => {
            let mut heading = format!("trawl eval: rules {}; gold {gold_path}", rules_named.join(", "));
            if args.names {
                heading.push_str("; names only");
            }
            for w in &args.gold_where {
                heading.push_str(&format!("; where {w}"));
            }
            let mut t = report::human(&scores, &heading, show);
            if let Some((path, c)) = &changes {
                t.push_str(&report::compare_human(c, path));
            }
            t
        }
        EvalFormat::Json => {
            let mut j = report_json;
            if show != Show::default() {
                j["errors"] = report::errors_json(&scores, show);
            }
            if let Some((path, c)) = &changes {
                let list: Vec<Json> =
                    c.iter().map(|c| json!({"metric": c.metric, "before": c.before, "after": c.after})).collect();
                j["baseline"] = json!({"file": path, "changes": list});
            }
            serde_json::to_string_pretty(&j).expect("JSON serializes") + "\n"
        }
    };
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        return write_failed(e);
    }
    if args.fail_under.is_some() && !fallen.is_empty() {
        for c in &fallen {
            eprintln!("trawl: {} fell from {:.4} to {:.4}", c.metric, c.before, c.after);
        }
        eprintln!(
            "trawl: {} score{} below the baseline (tolerance {tolerance})",
            fallen.len(),
            if fallen.len() == 1 { "" } else { "s" }
        );
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
