//! The `trawl` command line: thin glue over the library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
