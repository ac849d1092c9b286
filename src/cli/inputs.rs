//! Inputs: the command line's paths in, documents out.
//!
//! Paths are files, folders (read recursively, in sorted order, filtered by
//! `--include`/`--exclude` globs on the path below the folder) or `-` for
//! standard input. With `--input-format jsonl` every input is JSON Lines, one
//! document per line (`--id-field`, `--text-field`; other fields are
//! metadata, such as the anchor date with `--anchor-field`). Reading never
//! stops at a bad document: it becomes a [`Doc`] with an error, which the
//! batch turns into an error record.

use globset::{Glob, GlobSet, GlobSetBuilder};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use trawl::output::ErrorKind;
use trawl::Date;

/// Where a document comes from.
#[derive(Debug, Clone)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file.
    File(PathBuf),
    /// An entry of a folder that cannot be read as a document (a FIFO, a
    /// socket, a device, a symlink loop, an unreadable folder): an error record.
    Skipped(DocError),
}

/// One input named on the command line, after folders are expanded.
#[derive(Debug, Clone)]
pub struct Source {
    /// Its id in records: the path as given (`-` for standard input), escaped by [`path_id`].
    pub id: String,
    /// Its key in a snapshot store: the path below the folder given, or the file name.
    pub key: String,
    /// Where it is.
    pub input: Input,
    /// Its size in bytes, when known (for progress).
    pub size: Option<u64>,
}

/// How folders are walked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Walk {
    /// Follow symbolic links (loops are detected and reported); otherwise links are skipped.
    pub follow: bool,
    /// Read hidden files and folders (names starting with `.`); otherwise they are skipped.
    pub hidden: bool,
}

/// A path as an id: its text, with `\` doubled and every byte that is not
/// UTF-8 written `\xNN`, so that two different paths never share an id.
pub fn path_id(p: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::new();
    for chunk in p.as_os_str().as_bytes().utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Expands the command line's paths into sources, filtered by globs. Folders
/// are walked in sorted order; an entry that cannot be read becomes a source
/// that is an error record, and the walk goes on.
pub fn collect(paths: &[PathBuf], include: &[String], exclude: &[String], how: Walk) -> Result<Vec<Source>, String> {
    let set = |globs: &[String]| -> Result<Option<GlobSet>, String> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(Glob::new(g).map_err(|e| format!("glob `{g}`: {e}"))?);
        }
        b.build().map(Some).map_err(|e| e.to_string())
    };
    let (inc, exc) = (set(include)?, set(exclude)?);
    let keep = |key: &str| {
        let name = key.rsplit('/').next().unwrap_or(key);
        let hit = |s: &GlobSet| s.is_match(key) || s.is_match(name);
        inc.as_ref().is_none_or(hit) && !exc.as_ref().is_some_and(hit)
    };
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Source { id: "-".into(), key: "stdin".into(), input: Input::Stdin, size: None });
        } else if p.is_dir() {
            walk_folder(p, how, &keep, &mut out);
        } else {
            let key = p.file_name().map_or_else(|| path_id(p), |n| path_id(Path::new(n)));
            let size = std::fs::metadata(p).ok().map(|m| m.len());
            out.push(Source { id: path_id(p), key, input: Input::File(p.clone()), size });
        }
    }
    Ok(out)
}

/// The documents of one folder, in sorted order.
fn walk_folder(root: &Path, how: Walk, keep: &dyn Fn(&str) -> bool, out: &mut Vec<Source>) {
    let hidden = |e: &walkdir::DirEntry| e.depth() > 0 && e.file_name().as_encoded_bytes().starts_with(b".");
    let walker = walkdir::WalkDir::new(root)
        .follow_links(how.follow)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| how.hidden || !hidden(e));
    let key_of = |p: &Path| path_id(p.strip_prefix(root).unwrap_or(p));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let why = if e.loop_ancestor().is_some() {
                    "a symbolic link loop".to_string()
                } else {
                    e.io_error().map_or_else(|| e.to_string(), trawl::check::load::io_message)
                };
                let key = key_of(&path);
                if keep(&key) {
                    let input = Input::Skipped((ErrorKind::Unreadable, format!("cannot read: {why}")));
                    out.push(Source { id: path_id(&path), key, input, size: None });
                }
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() || (ft.is_symlink() && !how.follow) {
            continue;
        }
        let key = key_of(entry.path());
        if !keep(&key) {
            continue;
        }
        let id = path_id(entry.path());
        let input = if ft.is_file() {
            Input::File(entry.path().to_path_buf())
        } else {
            Input::Skipped((ErrorKind::NotAFile, format!("skipped: {}", kind_of(&ft))))
        };
        let size = entry.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
        out.push(Source { id, key, input, size });
    }
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

/// All files below a folder (for the snapshot store, which trawl itself writes).
pub fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(io::Error::other)?;
        if entry.file_type().is_file() {
            out.push(entry.into_path());
        }
    }
    Ok(())
}

/// Why a document could not be processed: a kind (for the error record) and a message.
pub type DocError = (ErrorKind, String);

/// Checks and decodes a document's bytes: a UTF-8 byte-order mark is dropped
/// (offsets count from after it); UTF-16 with a byte-order mark is decoded;
/// otherwise the bytes must be UTF-8 without a NUL byte.
pub fn decode(bytes: Vec<u8>, max: u64) -> Result<String, DocError> {
    if bytes.len() as u64 > max {
        return Err((ErrorKind::TooLarge, format!("larger than --max-doc-bytes ({max})")));
    }
    let utf16 = match bytes.get(..2) {
        Some([0xFF, 0xFE]) => Some(encoding_rs::UTF_16LE),
        Some([0xFE, 0xFF]) => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(enc) = utf16 {
        return match enc.decode_without_bom_handling_and_without_replacement(&bytes[2..]) {
            Some(text) => check_text(text.into_owned()),
            None => Err((ErrorKind::InvalidUtf16, format!("invalid {} after its byte-order mark", enc.name()))),
        };
    }
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    if let Some(i) = memchr0(&bytes) {
        return Err((ErrorKind::Binary, format!("binary content (NUL byte at offset {i})")));
    }
    String::from_utf8(bytes)
        .map_err(|e| (ErrorKind::InvalidUtf8, format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to())))
}

/// A decoded text must not hold NUL characters either.
fn check_text(text: String) -> Result<String, DocError> {
    match text.find('\0') {
        Some(i) => Err((ErrorKind::Binary, format!("binary content (NUL character at byte {i} of the decoded text)"))),
        None => Ok(text),
    }
}

fn memchr0(b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == 0)
}

/// Reads a whole input as one document.
pub fn read_whole(input: &Input, max: u64) -> Result<String, DocError> {
    let mut bytes = Vec::new();
    let res = match input {
        Input::Stdin => io::stdin().lock().take(max + 1).read_to_end(&mut bytes),
        Input::File(p) => std::fs::File::open(p).and_then(|f| f.take(max + 1).read_to_end(&mut bytes)),
        Input::Skipped(e) => return Err(e.clone()),
    };
    if let Err(e) = res {
        return Err((ErrorKind::Unreadable, e.to_string()));
    }
    decode(bytes, max)
}

/// How JSON Lines documents are read.
#[derive(Debug, Clone)]
pub struct JsonlFields {
    /// The field holding the document id.
    pub id: String,
    /// The field holding the text.
    pub text: String,
    /// The field holding the anchor date, if any.
    pub anchor: Option<String>,
}

/// One JSON Lines line, read but not parsed.
#[derive(Debug)]
pub struct RawLine {
    /// The line's bytes, without its line break.
    pub bytes: Vec<u8>,
    /// The id to use when the line has none: `source:line`.
    pub fallback_id: String,
    /// FNV-1a (64 bits) of the line's bytes: error lines carry it in their id.
    pub hash: u64,
    /// Its line number.
    pub line: usize,
}

/// A document read from a JSON Lines line.
#[derive(Debug)]
pub struct JsonlDoc {
    /// Its id (from the id field, else `source:line`).
    pub id: String,
    /// Its text, or why there is none.
    pub text: Result<String, DocError>,
    /// Its anchor date from metadata, if any.
    pub anchor: Option<Date>,
}

/// Reads JSON Lines documents one line at a time, leaving the parsing to
/// [`parse_line`] (on a worker); a bad line becomes a document with an error
/// and the stream stays in sync. Lines longer than
/// `max` bytes are skipped to their end without being held in memory.
pub struct JsonlReader {
    reader: BufReader<Box<dyn Read + Send>>,
    source: String,
    line: usize,
    max: u64,
    /// Whether blank lines are documents (with an error) rather than skipped.
    pub keep_blank: bool,
    /// A read failed: the input has ended (a failing disk or a folder as
    /// standard input fails every read the same way, so it is reported once).
    failed: bool,
    /// FNV-1a of the line being read.
    hash: u64,
    /// Set while the reader waits for input it has not buffered yet.
    pub waiting: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl JsonlReader {
    /// Opens an input.
    pub fn open(src: &Source, max: u64) -> io::Result<JsonlReader> {
        let inner: Box<dyn Read + Send> = match &src.input {
            Input::Stdin => Box::new(io::stdin()),
            Input::File(p) => Box::new(std::fs::File::open(p)?),
            Input::Skipped((_, msg)) => return Err(io::Error::other(msg.clone())),
        };
        let reader = BufReader::with_capacity(1 << 16, inner);
        Ok(JsonlReader {
            reader,
            source: src.id.clone(),
            line: 0,
            max,
            keep_blank: false,
            failed: false,
            hash: FNV_OFFSET,
            waiting: None,
        })
    }

    /// Whether a whole line is buffered (so the next line needs no read).
    fn line_buffered(&self) -> bool {
        self.reader.buffer().contains(&b'\n')
    }

    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let blocks = self.reader.buffer().is_empty();
        let flag = self.waiting.as_ref().filter(|_| blocks);
        if let Some(w) = flag {
            w.store(true, std::sync::atomic::Ordering::SeqCst);
        }
        let res = self.reader.fill_buf();
        if let Some(w) = flag {
            w.store(false, std::sync::atomic::Ordering::SeqCst);
        }
        res
    }

    /// Reads one line into `buf` (without its newline); `Ok(None)` at the end,
    /// `Ok(Some(false))` when the line was longer than the limit.
    fn read_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
        buf.clear();
        let mut hash = FNV_OFFSET;
        let mut any = false;
        let mut fits = true;
        let limit = self.max.saturating_mul(2).saturating_add(4096);
        loop {
            let chunk = match self.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                self.hash = hash;
                return Ok(if any { Some(fits) } else { None });
            }
            any = true;
            let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], Some(i + 1)),
                None => (chunk, None),
            };
            hash = fnv1a(hash, part);
            if fits && (buf.len() + part.len()) as u64 <= limit {
                buf.extend_from_slice(part);
            } else {
                fits = false;
                buf.clear();
            }
            let n = done.unwrap_or(chunk.len());
            self.reader.consume(n);
            if done.is_some() {
                self.hash = hash;
                return Ok(Some(fits));
            }
        }
    }

    /// The next line, not parsed yet (parsing can then happen on another
    /// thread), or a document that is already an error. Once `stopping`, only
    /// whole lines already buffered are given; the reader waits for no more.
    pub fn next_raw(&mut self, stopping: bool) -> Option<Result<RawLine, JsonlDoc>> {
        let mut buf = Vec::new();
        loop {
            if self.failed || (stopping && !self.line_buffered()) {
                return None;
            }
            let fits = match self.read_line(&mut buf) {
                Ok(None) => return None,
                Ok(Some(f)) => f,
                Err(e) => {
                    self.failed = true;
                    self.line += 1;
                    return Some(Err(self.error((ErrorKind::Unreadable, e.to_string()))));
                }
            };
            self.line += 1;
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            // A byte-order mark is not part of the first document.
            if self.line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
            if !fits {
                return Some(Err(
                    self.error((ErrorKind::TooLarge, format!("line longer than --max-doc-bytes ({})", self.max)))
                ));
            }
            if buf.iter().all(u8::is_ascii_whitespace) {
                if self.keep_blank {
                    return Some(Err(self.error((ErrorKind::EmptyLine, "blank line".into()))));
                }
                continue;
            }
            return Some(Ok(RawLine {
                bytes: std::mem::take(&mut buf),
                fallback_id: self.fallback_id(),
                hash: self.hash,
                line: self.line,
            }));
        }
    }

    fn fallback_id(&self) -> String {
        format!("{}:{}", self.source, self.line)
    }

    fn error(&self, e: DocError) -> JsonlDoc {
        JsonlDoc { id: error_id(&self.fallback_id(), self.hash), text: Err(e), anchor: None }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits: a hash of a line that anyone can recompute (Python: a five-line loop).
fn fnv1a(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The id of an error line without an id of its own: `source:line:hash`, where the hash
/// (FNV-1a of the line's bytes before its `\n`) finds the line again when line
/// numbers restart, as they do in every block under GNU parallel or Spark.
fn error_id(fallback: &str, hash: u64) -> String {
    format!("{fallback}:{hash:016x}")
}

/// Parses one JSON Lines document (on any thread).
pub fn parse_line(fields: &JsonlFields, max: u64, raw: RawLine) -> JsonlDoc {
    let line = &raw.bytes;
    let error = |e: DocError| JsonlDoc { id: error_id(&raw.fallback_id, raw.hash), text: Err(e), anchor: None };
    let v: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return error((ErrorKind::InvalidJson, format!("line {}: {e}", raw.line))),
    };
    let id = match v.get(&fields.id) {
        // An empty id names nothing: the line gets the id of a line without one.
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let anchor = fields.anchor.as_ref().and_then(|f| v.get(f)).and_then(|d| d.as_str()).and_then(Date::parse);
    let text = match v.get(&fields.text) {
        Some(serde_json::Value::String(s)) => {
            if s.len() as u64 > max {
                Err((ErrorKind::TooLarge, format!("larger than --max-doc-bytes ({})", max)))
            } else {
                Ok(s.clone())
            }
        }
        Some(_) => Err((ErrorKind::InvalidDocument, format!("field `{}` is not a string", fields.text))),
        None => Err((ErrorKind::InvalidDocument, format!("no field `{}`", fields.text))),
    };
    let id = id.unwrap_or_else(|| match text {
        Ok(_) => raw.fallback_id.clone(),
        Err(_) => error_id(&raw.fallback_id, raw.hash),
    });
    JsonlDoc { id, text, anchor }
}
