//! Command-line interface: arguments in, a validated configuration, then work.
//!
//! Exit codes: 0 success; 1 some documents failed (each has an error record,
//! the rest were processed); 2 usage or rule errors. Data goes to stdout,
//! everything else to stderr. A closed pipe downstream ends the run quietly.

mod batch;
mod eval;
mod explain;
mod fmt;
mod generate;
mod inputs;
mod serve;
mod shutdown;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trawl::output::OffsetUnit;
use trawl::snapshot::{DocCheck, Snapshot};
use trawl::testing::report::{self, Style};
use trawl::testing::run_examples;
use trawl::{diag, exec, Date, Options, RuleErrors, Rules};

/// Rule-based information extraction: rule files in, JSON Lines out.
#[derive(Parser)]
#[command(name = "trawl", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour what is written for people: diagnostics, test and snapshot reports
    /// (`auto`: on a terminal, unless `NO_COLOR` is set; `CLICOLOR_FORCE` forces it).
    #[arg(long, global = true, value_enum, default_value = "auto", value_name = "WHEN")]
    color: ColorChoice,
}

#[derive(Subcommand)]
enum Command {
    /// Extract annotations from documents.
    #[command(after_help = "Examples:\n  \
        trawl extract --anchor-date 2023-05-01 article.txt\n  \
        trawl extract --rules my-pack --rules news/dates --include '*.txt' articles/ > records.jsonl\n  \
        trawl extract --input-format jsonl --anchor-field date --stats corpus.jsonl > records.jsonl\n  \
        trawl extract --format html article.txt > article.html")]
    Extract(ExtractArgs),
    /// Parse and compile rule files; print every problem found.
    #[command(after_help = "Examples:\n  \
        trawl check rules/news\n  \
        trawl check --deny warnings my-pack\n  \
        trawl check --format short my-pack     # path:line:col: severity: message")]
    Check {
        /// Rule files or folders of rule files.
        #[arg(required = true)]
        rules: Vec<PathBuf>,
        /// Treat warnings as errors (exit 2 if there are any).
        #[arg(long, value_name = "warnings", value_parser = ["warnings"])]
        deny: Option<String>,
        /// `human` (rustc-style, on stderr), `short` (`path:line:col: severity: message`),
        /// `json` (one document) or `github` (workflow annotations); the last three on stdout.
        #[arg(long, value_enum, default_value = "human")]
        format: CheckFormat,
    },
    /// Run the examples of rule files (the bundled news pack when none is given).
    #[command(after_help = "Examples:\n  \
        trawl test rules\n  \
        trawl test --explain my-pack\n  \
        trawl test --format github my-pack      # annotations in a GitHub Actions log")]
    Test(TestArgs),
    /// Store the extraction of documents (`--update`, the default), or compare with the store (`--check`).
    #[command(after_help = "Examples:\n  \
        trawl snapshot --rules my-pack --store snapshots/ articles/\n  \
        trawl snapshot --check --rules my-pack --store snapshots/ articles/   # exit 1 on a difference")]
    Snapshot(SnapshotArgs),
    /// Score rules against gold annotations: precision, recall and F1 per label and per rule.
    #[command(after_help = "Examples:\n  \
        trawl eval --gold gold.jsonl --names --show fn,fp\n  \
        trawl eval --gold gold.jsonl --layer timex --map Date=DATE\n  \
        trawl eval --gold gold.jsonl --baseline scores.json --fail-under   # in CI")]
    Eval(eval::EvalArgs),
    /// Translate a benchmark workload (the peer harness's JSON) into rule files.
    #[command(hide = true)]
    Workload {
        /// The workload JSON file.
        file: PathBuf,
        /// Folder to write the rule file and its lexicons into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    #[command(after_help = "Examples:\n  \
        trawl tokens article.txt\n  \
        trawl tokens --format jsonl --line-breaks space notes.txt")]
    /// Print the tokens and sentences trawl sees in documents: a sentence a line
    /// (`--format text`), or one JSON object per sentence with its offsets and its tokens' offsets.
    Tokens {
        /// Text files (`-` for standard input); a `.jsonl` file holds one `{"id", "text"}` document a line.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "text")]
        format: TokensFormat,
        /// Offsets in characters (default) or bytes.
        #[arg(long, value_enum, default_value = "chars")]
        offsets: Offsets,
        /// What a single line break inside a paragraph is.
        #[arg(long, value_enum, default_value = "auto")]
        line_breaks: LineBreaksArg,
    },
    /// Why a rule matched, or did not, at a place of a text: each attempt, what matched, and the
    /// element that stopped it; for matches, whether they reached the output.
    #[command(after_help = "Examples:\n  \
        trawl explain person_with_title article.txt --span \"their French counterparts\"\n  \
        trawl explain Person article.txt --at 1946\n  \
        trawl explain my_rule --rules my-pack --text \"Talks in Paris on May 3.\" --format json")]
    Explain(explain::ExplainArgs),
    /// Print a stage's representation of rule files (for debugging rules).
    #[command(after_help = "Examples:\n  \
        trawl dump ast my-pack\n  \
        trawl dump program             # the bundled news pack, compiled")]
    Dump {
        /// What to print.
        #[arg(value_enum)]
        stage: DumpStage,
        /// Rule files or folders; the bundled news pack when none is given.
        rules: Vec<PathBuf>,
    },
    /// Lay rule files out canonically, in place (comments kept; `--check` changes nothing).
    #[command(after_help = "Examples:\n  \
        trawl fmt my-pack\n  \
        trawl fmt --check rules                # in CI: exit 1 when a file is not formatted\n  \
        trawl fmt - < rule.trawl               # standard input to standard output")]
    Fmt(fmt::FmtArgs),
    /// A playground in the browser, on 127.0.0.1: rules and a text, the records as you type,
    /// and why a rule matched or not where you click.
    #[command(after_help = "Examples:\n  \
        trawl serve                            # the bundled pack and the sample article\n  \
        trawl serve --rules my-rule.trawl article.txt --port 8000")]
    Serve(serve::ServeArgs),
    /// Write a man page or shell completions, made from this command line's definition, or the
    /// output's JSON Schemas.
    #[command(after_help = "Examples:\n  \
        trawl generate bash > ~/.local/share/bash-completion/completions/trawl\n  \
        trawl generate zsh --out ~/.zfunc\n  \
        trawl generate man --out man/man1      # trawl.1 and trawl-COMMAND.1\n  \
        trawl generate schema --out schema     # record.v1.json, document.v1.json, snapshot.v1.json")]
    Generate(generate::GenerateArgs),
}

#[derive(clap::Args)]
struct TestArgs {
    /// Rule files or folders; the bundled news pack when none is given.
    rules: Vec<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormat,
    /// Also list passing examples.
    #[arg(long, short = 'v')]
    verbose: bool,
    /// After the report, `trawl explain` for each failing example: the rule's attempts in it.
    #[arg(long)]
    explain: bool,
}

#[derive(clap::Args)]
struct SnapshotArgs {
    /// Rule file or folder (repeatable); the bundled news pack when absent.
    #[arg(long = "rules", short = 'r', value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// The folder of stored snapshots.
    #[arg(long, value_name = "DIR")]
    store: PathBuf,
    /// Compare with the store; exit 1 on any difference.
    #[arg(long, conflicts_with = "update")]
    check: bool,
    /// Write the new snapshots into the store (the default).
    #[arg(long)]
    update: bool,
    /// Anchor date (YYYY-MM-DD) for relative and year-less dates.
    #[arg(long, value_name = "DATE")]
    anchor_date: Option<String>,
    /// Report format of `--check`.
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormat,
    /// Files or folders (read recursively, in sorted order); `-` reads standard input.
    #[arg(value_name = "INPUT", required = true)]
    inputs: Vec<PathBuf>,
}

/// `trawl tokens --format`.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum TokensFormat {
    /// A sentence a line, its tokens separated by ` · `, a blank line between paragraphs.
    Text,
    /// One JSON object per sentence: `doc`, `paragraph`, `start`, `end`, `tokens` (`[start, end]` each).
    Jsonl,
}

/// `--line-breaks`.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum LineBreaksArg {
    /// Spaces in hard-wrapped prose, sentence ends elsewhere.
    Auto,
    /// Always spaces.
    Space,
    /// Always sentence ends.
    Sentence,
}

impl From<LineBreaksArg> for trawl::text::LineBreaks {
    fn from(a: LineBreaksArg) -> Self {
        match a {
            LineBreaksArg::Auto => trawl::text::LineBreaks::Auto,
            LineBreaksArg::Space => trawl::text::LineBreaks::Space,
            LineBreaksArg::Sentence => trawl::text::LineBreaks::Sentence,
        }
    }
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

#[derive(Clone, Copy, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--color`, set once in [`main`].
static COLOR: std::sync::OnceLock<ColorChoice> = std::sync::OnceLock::new();

/// Whether to colour what goes to `stream`: `--color`, and for `auto` anstream's reading of the
/// terminal and of `NO_COLOR`, `CLICOLOR_FORCE` and `TERM`.
fn colour_for(stream: &impl anstream::stream::RawStream) -> bool {
    match COLOR.get().copied().unwrap_or(ColorChoice::Auto) {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never,
    }
}

/// The style of reports on standard output.
fn style() -> Style {
    Style { color: colour_for(&io::stdout()) }
}

/// Diagnostics for standard error, in colour when it is coloured.
fn render_diagnostics(sources: &trawl::source::SourceMap, diags: &[diag::Diagnostic]) -> String {
    diag::render_with(sources, diags, colour_for(&io::stderr()))
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
    #[arg(help_heading = "Rules", long = "rules", short = 'r', value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Anchor date (YYYY-MM-DD) for relative and year-less dates.
    #[arg(help_heading = "Rules", long, value_name = "DATE")]
    anchor_date: Option<String>,
    /// Write records to this file instead of standard output.
    #[arg(help_heading = "Output", long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Offset unit of `start`/`end`.
    #[arg(help_heading = "Output", long, value_enum, default_value = "chars")]
    offsets: Offsets,
    /// Output format.
    #[arg(help_heading = "Output", long, value_enum, default_value = "jsonl")]
    format: Format,
    /// Documents larger than this many bytes get an error record.
    #[arg(help_heading = "Limits", long, default_value_t = 64 << 20, value_name = "N")]
    max_doc_bytes: u64,
    /// Matching steps one document may take before it gets a `timeout` error record
    /// (default: 50 million plus 2,000 per token; see docs/LANGUAGE.md §8).
    #[arg(help_heading = "Limits", long, value_name = "N")]
    max_steps: Option<u64>,
    /// What a single line break inside a paragraph is: `auto` reads hard-wrapped prose as
    /// paragraphs and keeps one sentence a line elsewhere (docs/LANGUAGE.md §2)
    #[arg(help_heading = "Documents", long, value_enum, default_value = "auto")]
    line_breaks: LineBreaksArg,
    /// Documents longer than this many bytes are extracted in pieces of about this size, which
    /// end at paragraphs: memory is bounded by a piece (docs/LANGUAGE.md §8)
    #[arg(help_heading = "Limits", long, default_value_t = trawl::exec::PIECE_BYTES as u64, value_name = "N",
          value_parser = clap::value_parser!(u64).range(1024..=1 << 30))]
    piece_bytes: u64,
    /// Seconds one document may take before it gets a `timeout` error record (default: no limit).
    #[arg(help_heading = "Limits", long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// How inputs hold documents: a whole file each, or JSON Lines (one document per line).
    #[arg(help_heading = "Documents", long, value_enum, default_value = "text")]
    input_format: InputFormat,
    /// JSON Lines: the field with the document id.
    #[arg(help_heading = "Documents", long, default_value = "id", value_name = "FIELD")]
    id_field: String,
    /// JSON Lines: the field with the text.
    #[arg(help_heading = "Documents", long, default_value = "text", value_name = "FIELD")]
    text_field: String,
    /// JSON Lines: the field with the document's date, its anchor for relative dates.
    #[arg(help_heading = "Documents", long, value_name = "FIELD")]
    anchor_field: Option<String>,
    /// Also write the records of internal labels (`_Name`, and labels no pack exports), each
    /// with `"internal":true`: what later rules read, to see why they did what they did.
    #[arg(help_heading = "Rules", long)]
    internal: bool,
    /// No message on stderr for each document that fails (its error record is still written).
    #[arg(help_heading = "Output", long, short = 'q')]
    quiet: bool,
    /// Filter mode: exactly one output line per input document (JSON Lines input). A document
    /// that fails gets its error on its own line and the exit code stays 0 (see --fail-on-error).
    #[arg(help_heading = "Documents", long)]
    per_document: bool,
    /// Exit 1 when some document failed, in filter mode too (outside it, that is the default).
    #[arg(help_heading = "Output", long)]
    fail_on_error: bool,
    /// In folders, read only files whose path (below the folder) or name matches (repeatable).
    #[arg(help_heading = "Folders", long, value_name = "GLOB")]
    include: Vec<String>,
    /// In folders, skip files whose path (below the folder) or name matches (repeatable).
    #[arg(help_heading = "Folders", long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// In folders, follow symbolic links (a loop gets an error record); without it links are skipped.
    #[arg(help_heading = "Folders", long)]
    follow: bool,
    /// In folders, read hidden files and folders (names starting with `.`), skipped without it.
    #[arg(help_heading = "Folders", long)]
    hidden: bool,
    /// Worker threads, 1 to 1024 (default: the number of cores).
    #[arg(help_heading = "Limits", long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    threads: Option<u16>,
    /// Write results as they are ready, not in input order.
    #[arg(help_heading = "Output", long)]
    unordered: bool,
    /// Print a summary at the end, on stderr (`--stats=json`: one JSON line).
    #[arg(help_heading = "Output", long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "human", value_name = "FORMAT")]
    stats: Option<StatsArg>,
    /// Files or folders (read recursively, in sorted order); `-` reads standard input.
    #[arg(value_name = "INPUT")]
    inputs: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum InputFormat {
    /// Each file (or standard input) is one document.
    Text,
    /// JSON Lines, one document per line.
    Jsonl,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatsArg {
    /// Lines for people.
    Human,
    /// One JSON line.
    Json,
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
    /// One self-contained HTML page: the texts with their records highlighted.
    Html,
}

/// `--version`: the program's version, the record schema's and the bundled packs.
fn long_version() -> String {
    format!(
        "{}\nrecord schema: v{}\nbundled packs: {}",
        env!("CARGO_PKG_VERSION"),
        trawl::output::SCHEMA_VERSION,
        trawl::check::load::bundled_packs().join(", ")
    )
}

pub fn main() -> ExitCode {
    use clap::{CommandFactory, FromArgMatches};
    let parsed = Cli::command().long_version(long_version()).try_get_matches().and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let _ = COLOR.set(cli.color);
    match cli.command {
        Command::Extract(args) => extract(args),
        Command::Check { rules, deny, format } => check(&rules, deny.is_some(), format),
        Command::Test(args) => test(args),
        Command::Workload { file, out } => workload(&file, &out),
        Command::Snapshot(args) => snapshot(args),
        Command::Eval(args) => eval::eval(args),
        Command::Dump { stage, rules } => dump(stage, &rules),
        Command::Tokens { inputs, format, offsets, line_breaks } => tokens(&inputs, format, offsets, line_breaks),
        Command::Explain(args) => explain::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Generate(args) => generate::run(args, <Cli as clap::CommandFactory>::command()),
    }
}

fn load_rules(paths: &[PathBuf]) -> Result<Rules, RuleErrors> {
    if paths.is_empty() {
        Rules::bundled_news()
    } else {
        Rules::from_paths(&paths.iter().map(|p| bundled_or(p)).collect::<Vec<_>>())
    }
}

use trawl::check::load::bundled_or;

fn report(errors: &RuleErrors) -> ExitCode {
    let n = errors.diagnostics.iter().filter(|d| d.severity == diag::Severity::Error).count();
    eprint!("{}", render_diagnostics(&errors.sources, &errors.diagnostics));
    eprintln!("trawl: {n} error{} in the rules", if n == 1 { "" } else { "s" });
    ExitCode::from(2)
}

/// The rule sets `check` and `test` run, each with names of its own: every folder given that has
/// `.trawl` files is a pack; a folder without any holds the packs below it (the topmost folder with
/// `.trawl` files on each branch; symlinked folders followed, hidden ones skipped); the files given
/// make one set together. Whether packs were found below a folder is the second value.
fn packs(paths: &[PathBuf]) -> (Vec<Vec<PathBuf>>, bool) {
    let has_rules = |d: &Path| {
        std::fs::read_dir(d).is_ok_and(|mut it| {
            it.any(|e| e.is_ok_and(|e| e.path().extension().is_some_and(|x| x == "trawl") && e.path().is_file()))
        })
    };
    let (mut sets, mut files, mut discovered) = (vec![], vec![], false);
    for p in paths {
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        if has_rules(p) {
            sets.push(vec![p.clone()]);
            continue;
        }
        let before = sets.len();
        let mut walk = walkdir::WalkDir::new(p).follow_links(true).sort_by_file_name().into_iter();
        while let Some(entry) = walk.next() {
            let Ok(e) = entry else { continue };
            if !e.file_type().is_dir() {
                continue;
            }
            if e.depth() > 0 && e.file_name().as_encoded_bytes().starts_with(b".") {
                walk.skip_current_dir();
            } else if has_rules(e.path()) {
                sets.push(vec![e.path().to_path_buf()]);
                walk.skip_current_dir();
            }
        }
        if sets.len() == before {
            // Nothing below: loading the folder says it has no rule files.
            sets.push(vec![p.clone()]);
        } else {
            discovered = true;
        }
    }
    if !files.is_empty() {
        sets.push(files);
    }
    (sets, discovered)
}

/// `trawl check --format`.
#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum CheckFormat {
    Human,
    Short,
    Json,
    Github,
}

fn check(paths: &[PathBuf], deny_warnings: bool, format: CheckFormat) -> ExitCode {
    if format != CheckFormat::Human {
        return check_machine(paths, deny_warnings, format);
    }
    let (packs, discovered) = packs(paths);
    if packs.len() == 1 && !discovered {
        return check_one(&packs[0], deny_warnings);
    }
    let mut worst = ExitCode::SUCCESS;
    for pack in &packs {
        eprintln!("pack {}:", pack[0].display());
        let code = check_one(pack, deny_warnings);
        if code != ExitCode::SUCCESS {
            worst = code;
        }
    }
    worst
}

/// `check --format short|json|github`: every pack's diagnostics on stdout, the same exit codes.
fn check_machine(paths: &[PathBuf], deny_warnings: bool, format: CheckFormat) -> ExitCode {
    let (packs, _) = packs(paths);
    let (mut out, mut json, mut code) = (String::new(), vec![], ExitCode::SUCCESS);
    for pack in &packs {
        let (sources, diags, failed) = match Rules::from_paths(pack) {
            Ok(r) => {
                let denied = deny_warnings && !r.warnings.is_empty();
                (r.program.set.sources.clone(), r.warnings, denied)
            }
            Err(e) => (e.sources, e.diagnostics, true),
        };
        if failed {
            code = ExitCode::from(2);
        }
        match format {
            CheckFormat::Short => out.push_str(&diag::render_short(&sources, &diags)),
            CheckFormat::Github => out.push_str(&diag::render_github(&sources, &diags)),
            _ => json.push(serde_json::json!({
                "pack": pack.first().map(|p| p.display().to_string()),
                "ok": !failed,
                "diagnostics": diag::to_json(&sources, &diags),
            })),
        }
    }
    if format == CheckFormat::Json {
        out = serde_json::to_string_pretty(&serde_json::json!({ "packs": json })).unwrap_or_default() + "\n";
    }
    let mut stdout = io::stdout().lock();
    if let Err(e) = stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()) {
        return write_failed(e);
    }
    code
}

fn check_one(paths: &[PathBuf], deny_warnings: bool) -> ExitCode {
    match Rules::from_paths(paths) {
        Ok(rules) => {
            let set = &rules.program.set;
            let n = rules.warnings.len();
            if n > 0 {
                eprint!("{}", render_diagnostics(&set.sources, &rules.warnings));
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
    let (packs, discovered) = if args.rules.is_empty() { (vec![vec![]], false) } else { packs(&args.rules) };
    let several = packs.len() > 1 || discovered;
    let mut outcomes = vec![];
    let mut text = String::new();
    let mut explained = String::new();
    for pack in &packs {
        let rules = match load_rules(pack) {
            Ok(r) => r,
            Err(e) => {
                if several {
                    eprintln!("pack {}:", pack[0].display());
                }
                return report(&e);
            }
        };
        let mine = run_examples(&rules);
        if several && args.format == ReportFormat::Human {
            text.push_str(&format!("pack {}:\n", pack[0].display()));
            text.push_str(&report::human(&mine, style(), args.verbose));
        }
        if args.explain && args.format == ReportFormat::Human {
            explained.push_str(&explain::failing_examples(&rules, &mine));
        }
        outcomes.extend(mine);
    }
    if several && args.format == ReportFormat::Human {
        let failed = outcomes.iter().filter(|o| o.failed()).count();
        let n = packs.len();
        text.push_str(&format!(
            "{n} pack{}, {} examples, {failed} failed\n",
            if n == 1 { "" } else { "s" },
            outcomes.len()
        ));
    }
    let text = match args.format {
        ReportFormat::Human if several => text,
        ReportFormat::Human => report::human(&outcomes, style(), args.verbose),
        ReportFormat::Json => report::json(&outcomes),
        ReportFormat::Junit => report::junit(&outcomes),
        ReportFormat::Github => report::github(&outcomes),
    };
    let mut out = io::stdout().lock();
    if let Err(e) =
        out.write_all(text.as_bytes()).and_then(|_| out.write_all(explained.as_bytes())).and_then(|_| out.flush())
    {
        return write_failed(e);
    }
    if outcomes.iter().any(|o| o.failed()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn workload(file: &Path, out: &Path) -> ExitCode {
    let json = match std::fs::read_to_string(file) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("trawl: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    let tr = match trawl::workload::translate(&json) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("trawl: {}: {e}", file.display());
            return ExitCode::from(2);
        }
    };
    for (path, text) in &tr.files {
        let target = out.join(path);
        let res = target.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|_| std::fs::write(&target, text));
        if let Err(e) = res {
            eprintln!("trawl: {}: {e}", target.display());
            return ExitCode::from(2);
        }
    }
    eprintln!(
        "wrote {} ({} rules) and {} lexicon files to {}",
        tr.files[0].0,
        tr.rules.len(),
        tr.files.len() - 1,
        out.display()
    );
    ExitCode::SUCCESS
}

fn parse_anchor(s: &Option<String>) -> Result<Option<Date>, ExitCode> {
    match s {
        None => Ok(None),
        Some(s) => match Date::parse(s) {
            Some(d) => Ok(Some(d)),
            None => {
                eprintln!("trawl: --anchor-date: `{s}` is not a date (expected YYYY-MM-DD)");
                Err(ExitCode::from(2))
            }
        },
    }
}

/// Stored snapshot files below `dir`, as document keys.
fn stored_keys(dir: &Path) -> Vec<String> {
    let mut files = vec![];
    if dir.is_dir() {
        let _ = inputs::walk(dir, &mut files);
    }
    let mut keys: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(dir).ok()?.to_string_lossy().replace('\\', "/");
            rel.strip_suffix(".jsonl").map(str::to_string)
        })
        .collect();
    keys.sort();
    keys
}

/// The anchor date and the rules a command takes, or the exit code of the first that is wrong.
fn anchor_and_rules(anchor: &Option<String>, rules: &[PathBuf]) -> Result<(Option<Date>, Rules), ExitCode> {
    let anchor = parse_anchor(anchor)?;
    let rules = load_rules(rules).map_err(|e| report(&e))?;
    Ok((anchor, rules))
}

fn snapshot(args: SnapshotArgs) -> ExitCode {
    let (anchor, rules) = match anchor_and_rules(&args.anchor_date, &args.rules) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let docs = match inputs::collect(&args.inputs, &[], &[], inputs::Walk::default()) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("trawl: {e}");
            return ExitCode::from(2);
        }
    };
    let mut keys = std::collections::BTreeMap::new();
    for d in &docs {
        if let Some(other) = keys.insert(d.key.clone(), d.id.clone()) {
            eprintln!(
                "trawl: `{}` and `{other}` would share the snapshot `{}`; give them in separate runs",
                d.id, d.key
            );
            return ExitCode::from(2);
        }
    }
    let opts = Options { anchor, ..Options::default() };
    let mut scratch = exec::Scratch::new();
    let mut checks = vec![];
    let (mut written, mut unchanged) = (0, 0);
    for d in &docs {
        let text = match inputs::read_whole(&d.input, u64::MAX >> 1) {
            Ok(t) => t,
            Err((_, msg)) => {
                eprintln!("trawl: {}: {msg}", d.id);
                return ExitCode::from(2);
            }
        };
        let records = match rules.extract_with(&text, &opts, trawl::OffsetUnit::Chars, &mut scratch) {
            Ok(records) => records,
            Err(e) => {
                eprintln!("trawl: {}: {e}", d.id);
                return ExitCode::from(2);
            }
        };
        let snap = Snapshot::new(&d.key, &text, &records);
        let path = args.store.join(format!("{}.jsonl", d.key));
        let stored = std::fs::read_to_string(&path).ok();
        if args.check {
            let (old, new_doc) = match stored.as_deref().map(Snapshot::parse) {
                Some(Ok(s)) => (s.records, false),
                Some(Err(e)) => {
                    eprintln!("trawl: {}: {e}", path.display());
                    return ExitCode::from(2);
                }
                None => (vec![], true),
            };
            let changes = trawl::snapshot::diff(&old, &snap.records);
            checks.push(DocCheck { doc: d.key.clone(), text: Some(text.clone()), new_doc, stale: false, changes });
        } else {
            let rendered = snap.render();
            if stored.as_deref() == Some(rendered.as_str()) {
                unchanged += 1;
                continue;
            }
            if let Err(e) =
                path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|_| std::fs::write(&path, rendered))
            {
                eprintln!("trawl: {}: {e}", path.display());
                return ExitCode::from(2);
            }
            written += 1;
        }
    }
    let stale: Vec<String> = stored_keys(&args.store).into_iter().filter(|k| !keys.contains_key(k)).collect();
    if !args.check {
        for k in &stale {
            let _ = std::fs::remove_file(args.store.join(format!("{k}.jsonl")));
        }
        eprintln!("snapshots: {written} written, {unchanged} unchanged, {} removed", stale.len());
        return ExitCode::SUCCESS;
    }
    for k in stale {
        let old = std::fs::read_to_string(args.store.join(format!("{k}.jsonl")))
            .ok()
            .and_then(|t| Snapshot::parse(&t).ok())
            .map_or(vec![], |s| s.records);
        let changes = old.into_iter().map(trawl::snapshot::Change::Removed).collect();
        checks.push(DocCheck { doc: k, text: None, new_doc: false, stale: true, changes });
    }
    let set = &rules.program.set;
    let locate = |name: &str| {
        set.rules.iter().find(|r| r.name == name).map(|r| {
            let f = set.sources.get(r.span.file);
            (f.name.clone(), f.line_col(r.span.start).0)
        })
    };
    let text = match args.format {
        ReportFormat::Human => trawl::snapshot::human(&checks, &locate, style()),
        ReportFormat::Json => trawl::snapshot::json(&checks),
        ReportFormat::Junit => trawl::snapshot::junit(&checks),
        ReportFormat::Github => trawl::snapshot::github(&checks, &locate),
    };
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        return write_failed(e);
    }
    if checks.iter().any(|c| !c.changes.is_empty() || c.new_doc || c.stale) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn tokens(inputs: &[PathBuf], format: TokensFormat, offsets: Offsets, breaks: LineBreaksArg) -> ExitCode {
    let breaks = trawl::text::LineBreaks::from(breaks);
    let mut docs: Vec<(String, String)> = vec![];
    for p in inputs {
        let text = if p.as_os_str() == "-" {
            let mut t = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut t).map(|_| t)
        } else {
            std::fs::read_to_string(p)
        };
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                eprintln!("trawl: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        };
        if p.extension().is_some_and(|x| x == "jsonl") {
            for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    eprintln!("trawl: {}:{}: not a JSON object", p.display(), i + 1);
                    return ExitCode::from(2);
                };
                let id = v
                    .get("id")
                    .and_then(|x| x.as_str())
                    .map_or_else(|| format!("{}:{}", p.display(), i + 1), str::to_string);
                docs.push((id, v.get("text").and_then(|x| x.as_str()).unwrap_or("").to_string()));
            }
        } else {
            docs.push((p.display().to_string(), text));
        }
    }
    let mut out = io::stdout().lock();
    for (id, text) in &docs {
        let doc = trawl::text::Document::with_line_breaks(text, breaks);
        let off = |t: &trawl::text::Token| match offsets {
            Offsets::Bytes => (t.start as usize, t.end as usize),
            Offsets::Chars => (t.char_start as usize, t.char_end as usize),
        };
        let mut s = String::new();
        for (pi, &(ps, pe)) in doc.paragraphs.iter().enumerate() {
            for &(ss, se) in doc.sentences.iter().filter(|&&(ss, _)| ss >= ps && ss < pe) {
                let toks = &doc.tokens[ss as usize..se as usize];
                match format {
                    TokensFormat::Text => {
                        let words: Vec<&str> = toks.iter().map(|t| &text[t.start as usize..t.end as usize]).collect();
                        s.push_str(&words.join(" · "));
                        s.push('\n');
                    }
                    TokensFormat::Jsonl => {
                        let spans: Vec<[usize; 2]> = toks
                            .iter()
                            .map(|t| {
                                let (a, b) = off(t);
                                [a, b]
                            })
                            .collect();
                        let (start, end) = (off(&toks[0]).0, off(&toks[toks.len() - 1]).1);
                        let line = serde_json::json!({"doc": id, "paragraph": pi, "start": start, "end": end, "tokens": spans});
                        s.push_str(&line.to_string());
                        s.push('\n');
                    }
                }
            }
            if format == TokensFormat::Text && pi + 1 < doc.paragraphs.len() {
                s.push('\n');
            }
        }
        if let Err(e) = out.write_all(s.as_bytes()) {
            return write_failed(e);
        }
    }
    if let Err(e) = out.flush() {
        return write_failed(e);
    }
    ExitCode::SUCCESS
}

fn dump(stage: DumpStage, paths: &[PathBuf]) -> ExitCode {
    match stage {
        DumpStage::Program => match load_rules(paths) {
            Ok(rules) => {
                let mut out = io::stdout().lock();
                match out.write_all(rules.program.to_string().as_bytes()).and_then(|_| out.flush()) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => write_failed(e),
                }
            }
            Err(e) => report(&e),
        },
        DumpStage::Ast => {
            // The files the other commands would load: the packs given (and those they use),
            // or the bundled news pack.
            use trawl::check::load::{self, DiskFiles, EmbeddedFiles, Files, WithBundled};
            let (roots, files): (Vec<PathBuf>, Box<dyn Files>) = if paths.is_empty() {
                (vec![PathBuf::from(trawl::BUNDLED_NEWS)], Box::new(EmbeddedFiles(trawl::BUNDLED)))
            } else {
                (paths.iter().map(|p| bundled_or(p)).collect(), Box::new(DiskFiles))
            };
            let with = WithBundled(files.as_ref());
            let mut diags = vec![];
            let loaded = load::load(&roots, &with, &mut diags);
            let mut text = String::new();
            for f in &loaded.files {
                text.push_str(&format!("# {}\n{f}", loaded.sources.get(f.file).name));
            }
            let mut out = io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                return write_failed(e);
            }
            if diag::has_errors(&diags) {
                eprint!("{}", render_diagnostics(&loaded.sources, &diags));
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
    }
}

fn extract(args: ExtractArgs) -> ExitCode {
    let anchor = match parse_anchor(&args.anchor_date) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if args.inputs.is_empty() {
        eprintln!("trawl: no input given (name files or folders, or `-` for standard input)");
        return ExitCode::from(2);
    }
    if args.per_document && (args.input_format != InputFormat::Jsonl || args.format != Format::Jsonl) {
        eprintln!("trawl: --per-document needs --input-format jsonl and JSON Lines output");
        return ExitCode::from(2);
    }
    let timeout = match args.timeout {
        None => None,
        Some(t) if t > 0.0 && t.is_finite() && t < 1e9 => Some(std::time::Duration::from_secs_f64(t)),
        Some(t) => {
            eprintln!("trawl: --timeout: `{t}` is not a number of seconds above 0");
            return ExitCode::from(2);
        }
    };
    let rules = match load_rules(&args.rules) {
        Ok(r) => r,
        Err(e) => return report(&e),
    };
    let how = inputs::Walk { follow: args.follow, hidden: args.hidden };
    let sources = match inputs::collect(&args.inputs, &args.include, &args.exclude, how) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("trawl: {e}");
            return ExitCode::from(2);
        }
    };
    let sink: Box<dyn Write + Send> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(BufWriter::with_capacity(1 << 16, f)),
            Err(e) => {
                eprintln!("trawl: {}: {e}", p.display());
                return ExitCode::from(2);
            }
        },
        None => Box::new(BufWriter::with_capacity(1 << 16, io::stdout())),
    };
    let mut sink = shutdown::SharedSink::new(sink);
    let control = std::sync::Arc::new(batch::Control::default());
    shutdown::watch(control.clone(), sink.clone());
    let cfg = batch::Config {
        rules: &rules,
        sources,
        jsonl: (args.input_format == InputFormat::Jsonl).then(|| inputs::JsonlFields {
            id: args.id_field.clone(),
            text: args.text_field.clone(),
            anchor: args.anchor_field.clone(),
        }),
        anchor,
        unit: match args.offsets {
            Offsets::Chars => OffsetUnit::Chars,
            Offsets::Bytes => OffsetUnit::Bytes,
        },
        layout: match (args.per_document, args.format) {
            (true, _) => batch::Layout::PerDocument,
            (false, Format::Jsonl) => batch::Layout::Jsonl,
            (false, Format::Text) => batch::Layout::Text,
            (false, Format::Html) => batch::Layout::Html,
        },
        threads: args
            .threads
            .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(64)), usize::from),
        ordered: !args.unordered,
        max_doc_bytes: args.max_doc_bytes,
        stats: args.stats.map(|s| match s {
            StatsArg::Human => batch::StatsFormat::Human,
            StatsArg::Json => batch::StatsFormat::Json,
        }),
        control,
        limits: trawl::Limits { max_steps: args.max_steps, timeout, ..trawl::Limits::default() },
        line_breaks: args.line_breaks.into(),
        piece_bytes: args.piece_bytes as usize,
        internal: args.internal,
        quiet: args.quiet,
    };
    let html = args.format == Format::Html;
    if html {
        if let Err(e) = sink.write_all(trawl::html::HEAD.as_bytes()) {
            return write_failed(e);
        }
    }
    let totals = match batch::run(&cfg, &mut sink) {
        Ok(t) => t,
        Err(e) => return write_failed(e),
    };
    if html {
        if let Err(e) = sink.write_all(trawl::html::TAIL.as_bytes()).and_then(|()| sink.flush()) {
            return write_failed(e);
        }
    }
    if let Some(code) = shutdown::interrupted() {
        return ExitCode::from(code);
    }
    if totals.closed {
        return ExitCode::SUCCESS;
    }
    if totals.failed > 0 {
        eprintln!("trawl: {} of {} documents failed", totals.failed, totals.docs);
        // In filter mode the errors are lines of the output: a pipeline (Spark's `checkCode`,
        // GNU parallel's `--halt`) must not fail for them.
        if !args.per_document || args.fail_on_error {
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}

fn write_failed(e: io::Error) -> ExitCode {
    if e.kind() == io::ErrorKind::BrokenPipe {
        return ExitCode::SUCCESS;
    }
    eprintln!("trawl: cannot write output: {e}");
    ExitCode::from(2)
}
