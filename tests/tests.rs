//! trawl's integration tests: one binary, one module per stage.

// Parsing: AST snapshots of valid files, diagnostics of invalid ones.
mod syntax;
// Checking: a diagnostic snapshot per kind of rule error.
mod check;
// Compiling: program listings.
mod compile;
// Extraction: records from fixture rules and documents, the seed article among them.
mod extract;
// The tricky semantics: conflicts, greedy and lazy, context, offsets, cycles.
mod semantics;

mod prefilter;
// Matching steps grow linearly with the text, for every construct; the step budget.
mod linearity;

mod engines;
// The bundled packs' own examples, and every example in docs/LANGUAGE.md.
mod rules;
// The news pack's dates: hundreds of expressions with their values at an anchor date.
mod dates;
// Batch extraction: JSON Lines, filter mode, threads, order, GNU parallel.
mod batch;
// Evaluation against gold: strict and lenient scores, values, baselines.
mod eval;
// The command line: exit codes, error records, formats.
mod cli;
// `trawl fmt`: the canonical layout, and every rule file formatted twice.
mod fmt;
// The HTML page, in headless Chromium when there is one.
mod html;
// No hang, no lost output: pipes, write errors, signals, failing inputs.
mod reliability;
// Inputs of any kind never panic.
mod robustness;
// The output's JSON Schemas: generated from the types, and the CLI's lines are those types.
mod schema;
// The Python package: built into a pinned virtual environment, its pytest suite run.
mod python;
// No pending or orphaned snapshots.
mod snapshots_hygiene;

mod common;
