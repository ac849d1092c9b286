//! Loading: paths in, parsed files grouped in packs out.
//!
//! Each path names a pack: a folder (its `*.trawl` files, sorted) or one rule
//! file. `import "x.trawl"` adds a file to the importing file's pack, resolved
//! against that file's folder; `use` names another pack (a path, or a bundled
//! pack by name), loaded breadth first after the packs given, those on disk
//! before bundled ones. Each file and each pack is loaded once, in a
//! deterministic order (the order rule ties are broken by); two packs whose
//! rule files have the same names and contents are one. Files come from a
//! [`Files`] source: the disk, the rule packs embedded in the binary, or
//! memory; [`WithBundled`] adds the embedded packs below `bundled:/`.

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

/// Index of a pack in [`Loaded::packs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackId(pub u32);

/// The first path component of bundled files read beside files from another source: a
/// bundled pack used by a pack on disk is read from `bundled:/rules/...`.
pub const BUNDLED_ROOT: &str = "bundled:";

/// A pack: a folder of rule files, or one file, with the files it `import`s. Each pack has
/// its own names.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Its name in messages: the path given, or the bundled name (`news/dates`).
    pub name: String,
    /// The folder (or the file) it was loaded from.
    pub path: PathBuf,
    /// Named by a path given to the loader, or lying below one: its rules are the ones tested
    /// and linted (a pack reached only by `use` of something elsewhere is not).
    pub own: bool,
    /// Its `use` declarations, in the order written.
    pub uses: Vec<Use>,
}

/// One `use` of another pack.
#[derive(Debug, Clone)]
pub struct Use {
    /// The pack used.
    pub pack: PackId,
    /// The prefix of its names here.
    pub prefix: String,
    /// `(name there, name here)` for the names used without a prefix.
    pub names: Vec<(ast::Ident, ast::Ident)>,
    /// The declaration.
    pub span: Span,
}

/// The parsed files of a rule set.
pub struct Loaded {
    /// Every file read.
    pub sources: SourceMap,
    /// Parsed rule files, in load order.
    pub files: Vec<ast::RuleFile>,
    /// The pack of each parsed file.
    pub file_packs: Vec<PackId>,
    /// Every pack, those named by the paths first.
    pub packs: Vec<Pack>,
}

/// Reads files from `inner`, and bundled files below [`BUNDLED_ROOT`].
pub struct WithBundled<'a>(pub &'a dyn Files);

impl WithBundled<'_> {
    fn split(path: &Path) -> Option<PathBuf> {
        let mut c = path.components();
        match c.next() {
            Some(Component::Normal(first)) if first == BUNDLED_ROOT => Some(c.as_path().to_path_buf()),
            _ => None,
        }
    }
}

impl Files for WithBundled<'_> {
    fn read(&self, path: &Path, max: u64) -> io::Result<String> {
        match Self::split(path) {
            Some(p) => EmbeddedFiles(crate::BUNDLED).read(&p, max),
            None => self.0.read(path, max),
        }
    }

    fn rule_files_in(&self, path: &Path) -> Option<io::Result<Vec<PathBuf>>> {
        match Self::split(path) {
            Some(p) => EmbeddedFiles(crate::BUNDLED)
                .rule_files_in(&p)
                .map(|r| r.map(|v| v.into_iter().map(|f| Path::new(BUNDLED_ROOT).join(f)).collect())),
            None => self.0.rule_files_in(path),
        }
    }
}

/// The bundled packs' names: every folder of the bundled rules that holds rule files,
/// without the leading `rules/` (`news`, `news/dates`).
pub fn bundled_packs() -> Vec<String> {
    let mut names: Vec<String> = crate::BUNDLED
        .iter()
        .filter(|(p, _)| p.ends_with(".trawl"))
        .filter_map(|(p, _)| Path::new(p).parent()?.strip_prefix("rules").ok().map(|d| d.display().to_string()))
        .filter(|d| !d.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A path as given, or the bundled pack of that name (`news/dates`, below [`BUNDLED_ROOT`]) when
/// nothing is there on disk: how the CLI and the Python package take `--rules` paths.
pub fn bundled_or(p: &Path) -> PathBuf {
    let name = p.to_string_lossy();
    if !p.exists() && bundled_packs().iter().any(|b| *b == name) {
        return Path::new(BUNDLED_ROOT).join("rules").join(p);
    }
    p.to_path_buf()
}

/// One pack to load: where, and which `use` (pack, index) asked for it.
struct Job {
    path: PathBuf,
    name: String,
    from: Option<(PackId, usize, Span)>,
}

/// Loads the packs named by `paths` (each folder or file one pack) and every pack they use,
/// breadth first: the packs named come first, so a pack on disk wins over an identical copy
/// reached by `use` (packs whose rule files have the same names and contents are one pack).
pub fn load(paths: &[PathBuf], files: &dyn Files, diags: &mut Vec<Diagnostic>) -> Loaded {
    let mut loaded = Loaded { sources: SourceMap::new(), files: Vec::new(), file_packs: Vec::new(), packs: Vec::new() };
    let roots: Vec<PathBuf> = paths.iter().map(|p| clean(p)).collect();
    let mut todo: std::collections::VecDeque<Job> =
        roots.iter().map(|p| Job { path: p.clone(), name: p.display().to_string(), from: None }).collect();
    let mut by_content: std::collections::HashMap<u64, PackId> = Default::default();
    let mut by_path: std::collections::HashMap<PathBuf, PackId> = Default::default();
    // Uses waiting for their pack: (user, index in its uses, pack).
    let mut links: Vec<(PackId, usize, PackId)> = vec![];
    // Packs on disk before bundled ones, so that the copy on disk is the one loaded.
    let next = |todo: &mut std::collections::VecDeque<Job>| {
        let i = todo.iter().position(|j| WithBundled::split(&j.path).is_none()).unwrap_or(0);
        todo.remove(i)
    };
    while let Some(job) = next(&mut todo) {
        let link = |links: &mut Vec<_>, id| {
            if let Some((user, i, _)) = job.from {
                links.push((user, i, id));
            }
        };
        if let Some(&id) = by_path.get(&job.path) {
            link(&mut links, id);
            continue;
        }
        let Some(texts) = pack_files(&job, files, diags) else { continue };
        let key = fingerprint(&texts);
        if let Some(&id) = by_content.get(&key) {
            by_path.insert(job.path.clone(), id);
            link(&mut links, id);
            continue;
        }
        let id = PackId(loaded.packs.len() as u32);
        let own = roots.iter().any(|r| below(&job.path, r));
        loaded.packs.push(Pack { name: job.name.clone(), path: job.path.clone(), own, uses: vec![] });
        by_content.insert(key, id);
        by_path.insert(job.path.clone(), id);
        link(&mut links, id);
        let first = loaded.files.len();
        for (path, text) in texts {
            load_file(&path, Some(text), None, id, files, &mut loaded, diags);
        }
        todo.extend(uses_of(&mut loaded, id, first));
    }
    link_uses(&mut loaded, links);
    loaded
}

/// The `use` declarations of a pack's files from `first` on, recorded in the pack (pointing at
/// the pack itself until the pack they name is loaded), and the packs they name, to load.
fn uses_of(loaded: &mut Loaded, id: PackId, first: usize) -> Vec<Job> {
    let mut jobs = vec![];
    for f in first..loaded.files.len() {
        let dir = loaded.sources.get(loaded.files[f].file).path.parent().map(Path::to_path_buf).unwrap_or_default();
        for item in &loaded.files[f].items {
            let ast::Item::Use(u) = item else { continue };
            let (path, name) = match &u.target {
                ast::UseTarget::Bundled(n) => (Path::new(BUNDLED_ROOT).join("rules").join(&n.name), n.name.clone()),
                ast::UseTarget::Path(p) => {
                    let path = clean(&dir.join(&p.value));
                    (path.clone(), path.display().to_string())
                }
            };
            let prefix = u.alias.as_ref().map_or_else(|| prefix_of(&path), |a| a.name.clone());
            let pack = &mut loaded.packs[id.0 as usize];
            jobs.push(Job { path, name, from: Some((id, pack.uses.len(), u.target.span())) });
            pack.uses.push(Use { pack: id, prefix, names: u.names.clone(), span: u.span });
        }
    }
    jobs
}

/// Points each use at the pack it named; a use whose pack did not load is dropped (its error
/// is reported).
fn link_uses(loaded: &mut Loaded, links: Vec<(PackId, usize, PackId)>) {
    let mut linked: Vec<Vec<bool>> = loaded.packs.iter().map(|p| vec![false; p.uses.len()]).collect();
    for (user, i, pack) in links {
        loaded.packs[user.0 as usize].uses[i].pack = pack;
        linked[user.0 as usize][i] = true;
    }
    for (p, l) in loaded.packs.iter_mut().zip(linked) {
        let mut it = l.into_iter();
        p.uses.retain(|_| it.next().unwrap_or(false));
    }
}

/// The prefix a pack's names take when `use` gives none: its last name part (`dates` for
/// `news/dates` and for `"../dates.trawl"`).
fn prefix_of(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}

/// The rule files of a pack, read: a folder's `.trawl` files, or the one file.
fn pack_files(job: &Job, files: &dyn Files, diags: &mut Vec<Diagnostic>) -> Option<Vec<(PathBuf, String)>> {
    let say = |diags: &mut Vec<Diagnostic>, msg: String| {
        diags.push(match job.from {
            Some((_, _, span)) => Diagnostic::error(span, msg),
            None => Diagnostic::error_nowhere(msg),
        })
    };
    let list = match files.rule_files_in(&job.path) {
        Some(Ok(list)) if list.is_empty() => {
            say(diags, format!("{}: the folder has no .trawl files", job.path.display()));
            return None;
        }
        Some(Ok(list)) => list,
        Some(Err(e)) => {
            say(diags, format!("{}: {e}", job.path.display()));
            return None;
        }
        None if WithBundled::split(&job.path).is_some() => {
            let known = bundled_packs();
            let mut msg = format!("no bundled pack `{}`", job.name);
            if let Some(s) = crate::diag::did_you_mean(&job.name, known.iter().map(String::as_str)) {
                msg.push_str(&format!("; did you mean `{s}`?"));
            }
            diags.push(match job.from {
                Some((_, _, span)) => Diagnostic::error(span, msg),
                None => Diagnostic::error_nowhere(msg),
            });
            diags.last_mut().expect("just pushed").hints.push(format!("the bundled packs: {}", known.join(", ")));
            return None;
        }
        None => vec![job.path.clone()],
    };
    let mut out = Vec::new();
    for p in list {
        match files.read(&p, crate::syntax::MAX_RULE_FILE_BYTES as u64) {
            Ok(t) => out.push((p, t)),
            Err(e) => say(diags, format!("cannot read rule file `{}`: {}", p.display(), io_message(&e))),
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether `path` is `root` or lies below it.
fn below(path: &Path, root: &Path) -> bool {
    if root == Path::new(".") {
        return path.is_relative() && !matches!(path.components().next(), Some(Component::ParentDir));
    }
    path.starts_with(root)
}

/// What makes two packs the same: their rule files' names and contents.
fn fingerprint(texts: &[(PathBuf, String)]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for (p, t) in texts {
        p.file_name().hash(&mut h);
        t.hash(&mut h);
    }
    h.finish()
}

/// Loads a file of a pack and, depth first in the order they are written, every file it
/// imports. The files to load are kept on a stack, not in recursion, so a chain of imports
/// of any length needs no more stack than one.
fn load_file(
    path: &Path,
    text: Option<String>,
    from: Option<Span>,
    pack: PackId,
    files: &dyn Files,
    loaded: &mut Loaded,
    diags: &mut Vec<Diagnostic>,
) {
    let mut todo: Vec<(PathBuf, Option<String>, Option<Span>)> = vec![(path.to_path_buf(), text, from)];
    while let Some((path, text, from)) = todo.pop() {
        if let Some(id) = loaded.sources.find(&path) {
            let owner = loaded.files.iter().position(|f| f.file == id).map(|i| loaded.file_packs[i]);
            if let (Some(owner), Some(span)) = (owner, from) {
                if owner != pack {
                    let other = &loaded.packs[owner.0 as usize].name;
                    diags.push(
                        Diagnostic::error(span, format!("`{}` belongs to the pack `{other}`", path.display()))
                            .hint("a file is part of one pack; `use` that pack to refer to its names"),
                    );
                }
            }
            continue;
        }
        let text = match text.map_or_else(|| files.read(&path, crate::syntax::MAX_RULE_FILE_BYTES as u64), Ok) {
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
                let imports: Vec<(PathBuf, Option<String>, Option<Span>)> = file
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        ast::Item::Import(p) => Some((clean(&dir.join(&p.value)), None, Some(p.span))),
                        _ => None,
                    })
                    .collect();
                loaded.files.push(file);
                loaded.file_packs.push(pack);
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
