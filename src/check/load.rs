//! Loading: paths in, parsed files out.
//!
//! A path may name a rule file or a folder (its `*.trawl` files, sorted).
//! `import "x.trawl"` is resolved against the importing file's folder and
//! each file is loaded once, in a deterministic order (the order rule ties are
//! broken by). Files come from a [`Files`] source: the disk, or the rule packs
//! embedded in the binary.

use crate::diag::Diagnostic;
use crate::source::{SourceMap, Span};
use crate::syntax::{self, ast};
use std::io;
use std::path::{Component, Path, PathBuf};

/// Lexicon files larger than this are refused (checked before reading).
pub const MAX_LEXICON_FILE_BYTES: u64 = 256 << 20;

/// Where rule and lexicon files are read from.
pub trait Files {
    /// Reads a whole file of at most `max` bytes (a larger one is an error, found before reading).
    fn read(&self, path: &Path, max: u64) -> io::Result<String>;
    /// If `path` is a folder, the rule files directly in it, sorted.
    fn rule_files_in(&self, path: &Path) -> Option<io::Result<Vec<PathBuf>>>;
}

/// The file system.
pub struct DiskFiles;

impl Files for DiskFiles {
    /// Only regular files (a FIFO would block, a device never end), sized before they are read.
    fn read(&self, path: &Path, max: u64) -> io::Result<String> {
        use std::io::Read;
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            let what = if meta.is_dir() { "a folder" } else { "not a regular file" };
            return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
        }
        let too_large = || io::Error::new(io::ErrorKind::InvalidData, format!("larger than {max} bytes"));
        if meta.len() > max {
            return Err(too_large());
        }
        let mut bytes = Vec::new();
        std::fs::File::open(path)?.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > max {
            return Err(too_large());
        }
        String::from_utf8(bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
            )
        })
    }

    fn rule_files_in(&self, path: &Path) -> Option<io::Result<Vec<PathBuf>>> {
        if !path.is_dir() {
            return None;
        }
        Some((|| {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(path)? {
                let p = entry?.path();
                if p.extension().is_some_and(|e| e == "trawl") && p.is_file() {
                    files.push(p);
                }
            }
            files.sort();
            Ok(files)
        })())
    }
}

/// Files compiled into the binary: `(path, contents)` pairs.
pub struct EmbeddedFiles(pub &'static [(&'static str, &'static str)]);

impl Files for EmbeddedFiles {
    fn read(&self, path: &Path, _: u64) -> io::Result<String> {
        let want = clean(path);
        self.0
            .iter()
            .find(|(p, _)| Path::new(p) == want)
            .map(|(_, text)| text.to_string())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file in the bundled rules"))
    }

    fn rule_files_in(&self, path: &Path) -> Option<io::Result<Vec<PathBuf>>> {
        let dir = clean(path);
        let mut files: Vec<PathBuf> = self
            .0
            .iter()
            .map(|(p, _)| PathBuf::from(p))
            .filter(|p| p.parent() == Some(dir.as_path()) && p.extension().is_some_and(|e| e == "trawl"))
            .collect();
        if files.is_empty() {
            return None;
        }
        files.sort();
        Some(Ok(files))
    }
}

/// Files held in memory, by path (for generated rule sets such as translated workloads).
pub struct MemoryFiles(pub std::collections::HashMap<PathBuf, String>);

impl Files for MemoryFiles {
    fn read(&self, path: &Path, _: u64) -> io::Result<String> {
        self.0.get(&clean(path)).cloned().ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }

    fn rule_files_in(&self, _: &Path) -> Option<io::Result<Vec<PathBuf>>> {
        None
    }
}

/// Removes `.` and resolves `..` lexically: `a/../b` is `b`, `../../x` stays
/// `../../x`, `/..` is `/`, and a path that cleans to nothing is `.`.
pub fn clean(path: &Path) -> PathBuf {
    let mut parts: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match parts.last() {
                Some(Component::Normal(_)) => {
                    parts.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => parts.push(c),
            },
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        return PathBuf::from(".");
    }
    parts.iter().map(|c| c.as_os_str()).collect()
}

/// The parsed files of a rule set.
pub struct Loaded {
    /// Every file read.
    pub sources: SourceMap,
    /// Parsed rule files, in load order.
    pub files: Vec<ast::RuleFile>,
}

/// Loads the rule files named by `paths` and everything they import.
pub fn load(paths: &[PathBuf], files: &dyn Files, diags: &mut Vec<Diagnostic>) -> Loaded {
    let mut loaded = Loaded { sources: SourceMap::new(), files: Vec::new() };
    for path in paths {
        let path = clean(path);
        match files.rule_files_in(&path) {
            Some(Ok(list)) => {
                if list.is_empty() {
                    diags
                        .push(Diagnostic::error_nowhere(format!("{}: the folder has no .trawl files", path.display())));
                }
                for p in list {
                    load_file(&p, None, files, &mut loaded, diags);
                }
            }
            Some(Err(e)) => diags.push(Diagnostic::error_nowhere(format!("{}: {e}", path.display()))),
            None => load_file(&path, None, files, &mut loaded, diags),
        }
    }
    loaded
}

/// Loads a file and, depth first in the order they are written, everything it imports. The
/// files to load are kept on a stack, not in recursion, so a chain of imports of any length
/// needs no more stack than one.
fn load_file(path: &Path, from: Option<Span>, files: &dyn Files, loaded: &mut Loaded, diags: &mut Vec<Diagnostic>) {
    let mut todo: Vec<(PathBuf, Option<Span>)> = vec![(path.to_path_buf(), from)];
    while let Some((path, from)) = todo.pop() {
        if loaded.sources.find(&path).is_some() {
            continue;
        }
        let text = match files.read(&path, crate::syntax::MAX_RULE_FILE_BYTES as u64) {
            Ok(t) => t,
            Err(e) => {
                let msg = format!("cannot read rule file `{}`: {}", path.display(), io_message(&e));
                diags.push(match from {
                    Some(span) => Diagnostic::error(span, msg),
                    None => Diagnostic::error_nowhere(msg),
                });
                continue;
            }
        };
        let id = loaded.sources.add(path.display().to_string(), &path, text);
        match syntax::parse(id, &loaded.sources.get(id).text) {
            Ok(file) => {
                let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
                let imports: Vec<(PathBuf, Option<Span>)> = file
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        ast::Item::Import(p) => Some((clean(&dir.join(&p.value)), Some(p.span))),
                        _ => None,
                    })
                    .collect();
                loaded.files.push(file);
                todo.extend(imports.into_iter().rev());
            }
            Err(errs) => diags.extend(errs),
        }
    }
}

/// An I/O error in plain words.
pub fn io_message(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
