//! `trawl fmt`: rule files in, the same files in the canonical layout out
//! ([`trawl::syntax::format`]), in place; with `--check`, nothing written and the files that
//! would change listed (exit 1); `-` formats standard input to standard output.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use trawl::syntax::format::{format, FormatError};

#[derive(clap::Args)]
pub(super) struct FmtArgs {
    /// Rule files, or folders (every `.trawl` file below them); `-` for standard input.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not in the canonical layout, with their first
    /// differing line, and exit 1 if there are any.
    #[arg(long)]
    check: bool,
}

pub(super) fn run(args: FmtArgs) -> ExitCode {
    let mut failed = false;
    let mut unformatted = 0;
    for path in args.paths.iter().flat_map(|p| rule_files(p)) {
        let path = match path {
            Ok(p) => p,
            Err(e) => {
                eprintln!("trawl: {e}");
                failed = true;
                continue;
            }
        };
        match one(&path, args.check) {
            Ok(true) => {}
            Ok(false) => unformatted += 1,
            Err(msg) => {
                eprintln!("trawl: {}: {msg}", path.display());
                failed = true;
            }
        }
    }
    if failed {
        ExitCode::from(2)
    } else if args.check && unformatted > 0 {
        eprintln!(
            "trawl: {unformatted} file{} not formatted (run `trawl fmt` on them)",
            if unformatted == 1 { "" } else { "s" }
        );
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Formats one file (or standard input); `Ok(false)`: under `--check`, it is not formatted.
fn one(path: &Path, check: bool) -> Result<bool, String> {
    let stdin = path == Path::new("-");
    let text = if stdin {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| format!("cannot read: {e}"))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?
    };
    let formatted = format(&text).map_err(|e| match e {
        FormatError::Syntax => "does not parse; `trawl check` says where".to_string(),
        FormatError::Changed => {
            "the formatter would change its meaning or lose a comment (a bug in trawl; the file is left as it is)"
                .to_string()
        }
    })?;
    if stdin && !check {
        let mut out = std::io::stdout().lock();
        out.write_all(formatted.as_bytes()).and_then(|()| out.flush()).map_err(|e| format!("cannot write: {e}"))?;
        return Ok(true);
    }
    if formatted == text {
        return Ok(true);
    }
    if check {
        let line = text
            .lines()
            .zip(formatted.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| text.lines().count().min(formatted.lines().count()));
        let shown = |t: &str| t.lines().nth(line).unwrap_or("").to_string();
        println!("{}:{}: not formatted", path.display(), line + 1);
        println!("  is:        {}", shown(&text));
        println!("  formatted: {}", shown(&formatted));
        return Ok(false);
    }
    std::fs::write(path, formatted).map_err(|e| format!("cannot write: {e}"))?;
    Ok(true)
}

/// The rule files a path names: itself, or every `.trawl` file below a folder, sorted.
fn rule_files(path: &Path) -> Vec<Result<PathBuf, String>> {
    if !path.is_dir() {
        return vec![Ok(path.to_path_buf())];
    }
    let mut out: Vec<Result<PathBuf, String>> = walkdir::WalkDir::new(path)
        .sort_by_file_name()
        .into_iter()
        .filter_map(|e| match e {
            Ok(e) if e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "trawl") => {
                Some(Ok(e.into_path()))
            }
            Ok(_) => None,
            Err(e) => Some(Err(e.to_string())),
        })
        .collect();
    if out.is_empty() {
        out.push(Err(format!("{}: no .trawl files in this folder", path.display())));
    }
    out
}
