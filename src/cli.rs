//! Command-line interface: arguments in, a validated configuration, then work.
//!
//! Exit codes: 0 success; 1 some documents failed (each has an error record,
//! the rest were processed); 2 usage or rule errors. Data goes to stdout,
//! everything else to stderr. A closed pipe downstream ends the run quietly.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trawl::output::{error_record, OffsetUnit};
use trawl::testing::report::{self, Style};
use trawl::testing::run_examples;
use trawl::{diag, exec, Date, Options, RuleErrors, Rules};

/// Rule-based information extraction: rule files in, JSON Lines out.
#[derive(Parser)]
#[command(name = "trawl", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract annotations from documents.
    Extract(ExtractArgs),
    /// Parse and compile rule files; print every problem found.
    Check {
        /// Rule files or folders of rule files.
        #[arg(required = true)]
        rules: Vec<PathBuf>,
        /// Treat warnings as errors (exit 2 if there are any).
        #[arg(long, value_name = "warnings", value_parser = ["warnings"])]
        deny: Option<String>,
    },
    /// Run the examples of rule files (the bundled news pack when none is given).
    Test(TestArgs),
    /// Print a stage's representation of rule files (for debugging rules).
    Dump {
        /// What to print.
        #[arg(value_enum)]
        stage: DumpStage,
        /// Rule files or folders; the bundled news pack when none is given.
        rules: Vec<PathBuf>,
    },
}

#[derive(clap::Args)]
struct TestArgs {
    /// Rule files or folders; the bundled news pack when none is given.
    rules: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormat,
    #[command(flatten)]
    color: ColorArg,
    /// Also list passing examples.
    #[arg(long, short = 'v')]
    verbose: bool,
}

/// How results are reported.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ReportFormat {
    /// For people; coloured on a terminal.
    Human,
    /// One JSON document.
    Json,
    /// JUnit XML, for CI servers.
    Junit,
    /// GitHub Actions workflow commands that annotate the rule file.
    Github,
}

#[derive(clap::Args)]
struct ColorArg {
    /// When to colour human output (`NO_COLOR` turns `auto` off).
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorArg {
    fn style(&self) -> Style {
        use std::io::IsTerminal;
        let color = match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        };
        Style { color }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum DumpStage {
    /// The parsed syntax tree, as S-expressions.
    Ast,
    /// The compiled program listing.
    Program,
}

#[derive(clap::Args)]
struct ExtractArgs {
    /// Rule file or folder (repeatable); the bundled news pack when absent.
    #[arg(long = "rules", short = 'r', value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Anchor date (YYYY-MM-DD) for relative and year-less dates.
    #[arg(long, value_name = "DATE")]
    anchor_date: Option<String>,
    /// Write records to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Offset unit of `start`/`end`.
    #[arg(long, value_enum, default_value = "chars")]
    offsets: Offsets,
    /// Output format.
    #[arg(long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Documents larger than this many bytes get an error record.
    #[arg(long, default_value_t = 64 << 20, value_name = "N")]
    max_doc_bytes: u64,
    /// Files or folders (read recursively, in sorted order); `-` reads standard input.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Offsets {
    /// Unicode scalar values (Python `str` offsets).
    Chars,
    /// UTF-8 bytes.
    Bytes,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Format {
    /// JSON Lines, one record per annotation.
    Jsonl,
    /// One readable line per annotation.
    Text,
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Extract(args) => extract(args),
        Command::Check { rules, deny } => check(&rules, deny.is_some()),
        Command::Test(args) => test(args),
        Command::Dump { stage, rules } => dump(stage, &rules),
    }
}

fn load_rules(paths: &[PathBuf]) -> Result<Rules, RuleErrors> {
    if paths.is_empty() {
        Rules::bundled_news()
    } else {
        Rules::from_paths(paths)
    }
}

fn report(errors: &RuleErrors) -> ExitCode {
    let n = errors.diagnostics.iter().filter(|d| d.severity == diag::Severity::Error).count();
    eprint!("{errors}");
    eprintln!("trawl: {n} error{} in the rules", if n == 1 { "" } else { "s" });
    ExitCode::from(2)
}

fn check(paths: &[PathBuf], deny_warnings: bool) -> ExitCode {
    match Rules::from_paths(paths) {
        Ok(rules) => {
            let set = &rules.program.set;
            let n = rules.warnings.len();
            if n > 0 {
                eprint!("{}", diag::render(&set.sources, &rules.warnings));
            }
            let warned = if n == 0 { String::new() } else { format!(", {n} warning{}", if n == 1 { "" } else { "s" }) };
            if deny_warnings && n > 0 {
                eprintln!("trawl: {n} warning{} denied by --deny warnings", if n == 1 { "" } else { "s" });
                return ExitCode::from(2);
            }
            eprintln!(
                "ok: {} rules, {} lexicons, {} files{warned}",
                set.rules.len(),
                set.lexicons.len(),
                set.sources.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => report(&e),
    }
}

fn test(args: TestArgs) -> ExitCode {
    let rules = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(e) => return report(&e),
    };
    let outcomes = run_examples(&rules);
    let text = match args.format {
        ReportFormat::Human => report::human(&outcomes, args.color.style(), args.verbose),
        ReportFormat::Json => report::json(&outcomes),
        ReportFormat::Junit => report::junit(&outcomes),
        ReportFormat::Github => report::github(&outcomes),
    };
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        return write_failed(e);
    }
    if outcomes.iter().any(|o| o.failed()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn dump(stage: DumpStage, paths: &[PathBuf]) -> ExitCode {
    match stage {
        DumpStage::Program => match load_rules(paths) {
            Ok(rules) => {
                print!("{}", rules.program);
                ExitCode::SUCCESS
            }
            Err(e) => report(&e),
        },
        DumpStage::Ast => {
            let mut code = ExitCode::SUCCESS;
            for p in paths {
                let text = match std::fs::read_to_string(p) {
                    Ok(t) => t,
                    Err(e) => {
                        eprintln!("trawl: {}: {e}", p.display());
                        code = ExitCode::from(2);
                        continue;
                    }
                };
                let mut sources = trawl::source::SourceMap::new();
                let id = sources.add(p.display().to_string(), p, text.clone());
                match trawl::syntax::parse(id, &text) {
                    Ok(ast) => print!("{ast}"),
                    Err(d) => {
                        eprint!("{}", diag::render(&sources, &d));
                        code = ExitCode::from(2);
                    }
                }
            }
            code
        }
    }
}

/// One input document, before reading.
enum Input {
    Stdin,
    File(PathBuf),
}

fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<(String, Input)>, String> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(("-".to_string(), Input::Stdin));
        } else if p.is_dir() {
            let mut files = Vec::new();
            walk(p, &mut files).map_err(|e| format!("{}: {e}", p.display()))?;
            files.sort();
            out.extend(files.into_iter().map(|f| (f.display().to_string(), Input::File(f))));
        } else {
            out.push((p.display().to_string(), Input::File(p.clone())));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn read_input(input: &Input, max: u64) -> Result<String, (&'static str, String)> {
    let mut bytes = Vec::new();
    let res = match input {
        Input::Stdin => io::stdin().lock().take(max + 1).read_to_end(&mut bytes),
        Input::File(p) => std::fs::File::open(p).and_then(|f| f.take(max + 1).read_to_end(&mut bytes)),
    };
    if let Err(e) = res {
        return Err(("unreadable", e.to_string()));
    }
    if bytes.len() as u64 > max {
        return Err(("too_large", format!("larger than --max-doc-bytes ({max})")));
    }
    if let Some(i) = bytes.iter().position(|&b| b == 0) {
        return Err(("binary", format!("binary content (NUL byte at offset {i})")));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").map(<[u8]>::to_vec).unwrap_or(bytes);
    String::from_utf8(bytes)
        .map_err(|e| ("invalid_utf8", format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to())))
}

fn extract(args: ExtractArgs) -> ExitCode {
    let anchor = match &args.anchor_date {
        None => None,
        Some(s) => match Date::parse(s) {
            Some(d) => Some(d),
            None => {
                eprintln!("trawl: --anchor-date: `{s}` is not a date (expected YYYY-MM-DD)");
                return ExitCode::from(2);
            }
        },
    };
    if args.inputs.is_empty() {
        eprintln!("trawl: no input given (name files or folders, or `-` for standard input)");
        return ExitCode::from(2);
    }
    let rules = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(e) => return report(&e),
    };
    let inputs = match collect_inputs(&args.inputs) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("trawl: {e}");
            return ExitCode::from(2);
        }
    };
    let sink: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("trawl: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => Box::new(io::stdout().lock()),
    };
    let mut out = BufWriter::new(sink);
    let unit = match args.offsets {
        Offsets::Chars => OffsetUnit::Chars,
        Offsets::Bytes => OffsetUnit::Bytes,
    };
    let opts = Options { anchor };
    let mut scratch = exec::Scratch::new();
    let mut failed = 0usize;
    for (doc_id, input) in &inputs {
        let line = match read_input(input, args.max_doc_bytes) {
            Err((kind, msg)) => {
                failed += 1;
                eprintln!("trawl: {doc_id}: {msg}");
                Err(error_record(doc_id, kind, &msg))
            }
            Ok(text) => {
                let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    rules.extract_with(&text, &opts, unit, &mut scratch)
                }));
                match res {
                    Ok(records) => Ok(records),
                    Err(_) => {
                        failed += 1;
                        scratch = exec::Scratch::new();
                        Err(error_record(doc_id, "internal", "internal error while extracting; please report it"))
                    }
                }
            }
        };
        let written = match line {
            Ok(records) => records.iter().try_for_each(|r| match args.format {
                Format::Jsonl => writeln!(out, "{}", r.to_json(doc_id)),
                Format::Text => writeln!(out, "{doc_id}\t{}", r.to_text()),
            }),
            Err(rec) => writeln!(out, "{rec}"),
        };
        if let Err(e) = written {
            return write_failed(e);
        }
    }
    if let Err(e) = out.flush() {
        return write_failed(e);
    }
    if failed > 0 {
        eprintln!("trawl: {failed} of {} documents failed", inputs.len());
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_failed(e: io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("trawl: cannot write output: {e}");
    ExitCode::from(2)
}
