//! The `trawl` command line: thin glue over the library.

mod alloc;
mod cli;

fn main() -> std::process::ExitCode {
    alloc::init();
    cli::main()
}
