//! `trawl generate`: a man page or shell completions, made from the command line's own clap
//! definition (so they never disagree with `--help`), or the JSON Schemas of the output, made
//! from its types (`trawl::output::schemas`). In: what to make and, optionally, a folder. Out: on
//! stdout (the man page of `trawl` itself, the completion script, or the record schema), or, with
//! `--out`, files in that folder: `trawl.1` and one `trawl-COMMAND.1` per command, the completion
//! script under the name its shell looks for, or every schema (`record.v1.json`,
//! `document.v1.json`; the project keeps them in `schema/`).

use clap::{Command, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `trawl generate` makes.
#[derive(Clone, Copy, ValueEnum)]
pub(super) enum Target {
    /// Man pages (roff).
    Man,
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    /// The JSON Schemas of what `trawl extract` writes.
    Schema,
}

#[derive(clap::Args)]
pub(super) struct GenerateArgs {
    /// What to generate.
    #[arg(value_enum)]
    target: Target,
    /// Write into this folder (created if needed) instead of standard output; man pages: one per
    /// command.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub(super) fn run(args: GenerateArgs, mut cmd: Command) -> ExitCode {
    cmd.build();
    let result = match &args.out {
        None => write_stdout(args.target, &mut cmd),
        Some(dir) => std::fs::create_dir_all(dir).and_then(|()| write_dir(args.target, &mut cmd, dir)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader has gone (`| head`): nothing more to say.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            let place = args.out.as_ref().map_or("standard output".to_string(), |d| d.display().to_string());
            eprintln!("trawl: cannot write to {place}: {e}");
            ExitCode::from(2)
        }
    }
}

fn write_stdout(target: Target, cmd: &mut Command) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match shell(target) {
        Some(sh) => clap_complete::generate(sh, cmd, "trawl", &mut out),
        None if matches!(target, Target::Schema) => {
            let schemas = trawl::output::schemas();
            out.write_all(schemas[0].1.as_bytes())?
        }
        None => clap_mangen::Man::new(cmd.clone()).render(&mut out)?,
    }
    out.flush()
}

fn write_dir(target: Target, cmd: &mut Command, dir: &Path) -> std::io::Result<()> {
    match shell(target) {
        Some(sh) => clap_complete::generate_to(sh, cmd, "trawl", dir).map(|_| ()),
        None if matches!(target, Target::Schema) => {
            trawl::output::schemas().iter().try_for_each(|(name, text)| std::fs::write(dir.join(name), text))
        }
        None => {
            write_man(cmd, "trawl", dir)?;
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
                let name = format!("trawl-{}", sub.get_name());
                // The page of a command is titled and named as `man trawl-extract` finds it.
                let page = sub.clone().name(name.clone()).version(cmd.get_version().unwrap_or_default().to_string());
                write_man(&page, &name, dir)?;
            }
            Ok(())
        }
    }
}

fn write_man(cmd: &Command, name: &str, dir: &Path) -> std::io::Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    std::fs::write(dir.join(format!("{name}.1")), page)
}

fn shell(target: Target) -> Option<clap_complete::Shell> {
    use clap_complete::Shell;
    Some(match target {
        Target::Man | Target::Schema => return None,
        Target::Bash => Shell::Bash,
        Target::Zsh => Shell::Zsh,
        Target::Fish => Shell::Fish,
        Target::Powershell => Shell::PowerShell,
        Target::Elvish => Shell::Elvish,
    })
}
