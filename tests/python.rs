//! The Python package (`python/`, `pyproject.toml`) and its pytest suite, run from `cargo test`.
//!
//! Installs what the suite needs into `target/python-venv`, from the package registry, pinned
//! (`python/requirements-test.txt`: pytest, maturin, spaCy and their dependencies), builds the
//! package into it with `pip install .` (maturin, release profile, in the project's `target/`, so
//! that it reuses the engine a `cargo build --release` made; cargo holds a profile's lock only
//! while it builds, so this build does not wait on the `cargo test` that runs it, even under
//! `--release`), then runs `pytest` with the CLI binary of this build to compare records with. The environment is made again only when the
//! pins change. Needs Python 3.9 or newer and the package registry; `TRAWL_SKIP_PYTHON=1` skips it
//! (said on stderr). Without a `python3`, it is skipped, except under CI, where that fails.

use super::common::root;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn python3() -> Option<PathBuf> {
    let ok = Command::new("python3")
        .args(["-c", "import sys, venv; assert sys.version_info >= (3, 9)"])
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| PathBuf::from("python3"))
}

/// The virtual environment with the pinned requirements, made when missing or out of date.
fn venv(python: &Path) -> PathBuf {
    let root = root();
    let dir = root.join("target/python-venv");
    let pins = std::fs::read_to_string(root.join("python/requirements-test.txt")).expect("requirements");
    let stamp = dir.join("trawl-requirements.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(pins.as_str()) {
        let _ = std::fs::remove_dir_all(&dir);
        run(Command::new(python).args(["-m", "venv"]).arg(&dir), "python3 -m venv");
        run(
            Command::new(dir.join("bin/python"))
                .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(root.join("python/requirements-test.txt")),
            "pip install -r python/requirements-test.txt",
        );
        std::fs::write(&stamp, &pins).expect("stamp");
    }
    dir
}

/// `PATH` with `dir` first (the build backend runs `maturin` from it).
fn path_with(dir: &Path) -> std::ffi::OsString {
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(dir.to_path_buf()).chain(std::env::split_paths(&rest))).expect("PATH")
}

#[test]
fn python_package_and_its_tests() {
    if std::env::var_os("TRAWL_SKIP_PYTHON").is_some() {
        eprintln!("python_package_and_its_tests: skipped (TRAWL_SKIP_PYTHON is set)");
        return;
    }
    let Some(python) = python3() else {
        assert!(std::env::var_os("CI").is_none(), "CI needs python3 (3.9 or newer) for the Python package");
        eprintln!("python_package_and_its_tests: skipped (no python3 3.9+ here)");
        return;
    };
    let root = root();
    let venv = venv(&python);
    run(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-build-isolation"])
            .args(["--no-deps", "--force-reinstall", "."])
            .env("CARGO_TARGET_DIR", root.join("target"))
            .env("PATH", path_with(&venv.join("bin")))
            .current_dir(&root),
        "pip install . (the Python package)",
    );
    let out = Command::new(venv.join("bin/python"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "python/tests"])
        .env("TRAWL_BIN", env!("CARGO_BIN_EXE_trawl"))
        .current_dir(&root)
        .output()
        .expect("pytest");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{text}");
    assert!(out.status.success(), "pytest failed:\n{text}");
    assert!(text.contains(" passed"), "{text}");
}
