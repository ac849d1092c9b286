//! trawl for Python: the `trawl._trawl` extension module (`python/trawl/__init__.py` re-exports it).
//!
//! In: rule files (paths on disk, one file's text, or a bundled pack's name) and documents as
//! Python `str`s or `{"id", "text", "date"}` mappings. Out: records as Python dicts, or (with
//! `extract_many(..., format="json")`) each document's filter-mode line as a `str`, written by the
//! CLI's own serializer ([`trawl::output::RecordView`]).
//!
//! Records are the typed records of the engine ([`trawl::output::record`], the same values the
//! CLI's lines hold; a Rust test checks they write the CLI's lines byte for byte), turned into
//! dicts here with the keys of those lines in their order, key and label strings interned. The
//! pytest suite checks the dicts equal `json.loads` of the CLI's lines on the seed article and the
//! dev documents. (`json.loads` of the lines was the first way: it took as long as extracting.)
//! Python's cyclic collector is paused while a document's dicts are built ([`without_gc`]).
//!
//! Extraction runs with the GIL released. `extract_many` runs `threads` workers over one shared,
//! immutable program (each with its own scratch space; even one thread is a worker, so that the
//! caller's thread builds objects meanwhile), keeps at most a fixed number of documents
//! in flight (read from the Python iterable but not yet yielded), and yields one dict per document
//! in input order: `{"v", "id", "records"}`, or `{"v", "id", "error"}` for a document that could not
//! be processed, as `trawl extract --per-document` writes them.

// The CLI's allocator and its settings, for the module's own (Rust) allocations: extraction and
// the records handed from the worker threads to the caller's, which frees them.
#[path = "../../src/alloc.rs"]
mod alloc;

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyList, PyString};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use trawl::output::{self, ErrorKind, FieldValue, Fields, Record, SCHEMA_VERSION};
use trawl::{exec, Date, OffsetUnit, Options};

pyo3::create_exception!(
    _trawl,
    RuleError,
    PyException,
    "Rule files that could not be loaded. `str()` is the rendered diagnostics (file, line, column, \
     caret, hint); `.diagnostics` lists them as dicts with `file`, `line`, `column`, `severity`, \
     `message` and `hints`."
);

pyo3::create_exception!(
    _trawl,
    ExtractionError,
    PyException,
    "A document `Rules.extract` could not finish: over a limit (`.kind` is `timeout` or \
     `too_large`, as in the CLI's error records)."
);

/// Documents larger than this get a `too_large` error record (the CLI's `--max-doc-bytes`).
const MAX_DOC_BYTES: usize = 64 << 20;

/// Documents read from the iterable but not yet yielded, per worker thread.
const IN_FLIGHT_PER_THREAD: usize = 16;

/// A compiled rule set. Immutable and shared: one `Rules` can serve any number of threads.
#[pyclass(frozen, module = "trawl")]
struct Rules {
    inner: Arc<trawl::Rules>,
    /// How it was made: for `repr`, and to make it again when unpickled.
    origin: Origin,
}

/// Where a `Rules` came from.
#[derive(Clone)]
enum Origin {
    /// Rule files or folders, made absolute (an unpickling process may run elsewhere).
    Paths(Vec<PathBuf>),
    /// One file's text, with its name.
    Source(String, String),
    /// A bundled pack by name.
    Bundled(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Paths(p) => f.write_str(&p.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")),
            Origin::Source(name, _) => write!(f, "source {name}"),
            Origin::Bundled(name) => write!(f, "bundled:{name}"),
        }
    }
}

/// The offsets records carry.
fn unit_of(offsets: &str) -> PyResult<OffsetUnit> {
    match offsets {
        "chars" => Ok(OffsetUnit::Chars),
        "bytes" => Ok(OffsetUnit::Bytes),
        other => Err(PyValueError::new_err(format!("offsets must be \"chars\" or \"bytes\", not {other:?}"))),
    }
}

/// An anchor date from `None`, a `YYYY-MM-DD` string or a `datetime.date`.
fn anchor_of(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Date>> {
    let Some(v) = value.filter(|v| !v.is_none()) else { return Ok(None) };
    let text: String = match v.extract::<String>() {
        Ok(s) => s,
        Err(_) => v.call_method0("isoformat").and_then(|s| s.extract()).map_err(|_| {
            PyTypeError::new_err("anchor_date must be a \"YYYY-MM-DD\" string, a datetime.date or None")
        })?,
    };
    Date::parse(&text)
        .map(Some)
        .ok_or_else(|| PyValueError::new_err(format!("anchor_date {text:?} is not a date (YYYY-MM-DD)")))
}

/// The options of one document.
fn options(anchor: Option<Date>, timeout: Option<f64>) -> PyResult<Options> {
    let mut opts = Options { anchor, ..Options::default() };
    if let Some(t) = timeout {
        if !(t.is_finite() && t > 0.0) {
            return Err(PyValueError::new_err("timeout must be a positive number of seconds"));
        }
        opts.limits.timeout = Some(std::time::Duration::from_secs_f64(t));
    }
    Ok(opts)
}

/// The Python exception for rules that did not load.
fn rule_error(py: Python<'_>, e: &trawl::RuleErrors) -> PyErr {
    let err = RuleError::new_err(e.to_string().trim_end().to_string());
    let list = PyList::empty(py);
    for d in &e.diagnostics {
        let item = PyDict::new(py);
        let place = d.span.map(|s| {
            let f = e.sources.get(s.file);
            let (line, column) = f.line_col(s.start);
            (f.name.clone(), line, column)
        });
        let severity = match d.severity {
            trawl::diag::Severity::Error => "error",
            trawl::diag::Severity::Warning => "warning",
        };
        let filled = (|| -> PyResult<()> {
            item.set_item("file", place.as_ref().map(|p| p.0.clone()))?;
            item.set_item("line", place.as_ref().map(|p| p.1))?;
            item.set_item("column", place.as_ref().map(|p| p.2))?;
            item.set_item("severity", severity)?;
            item.set_item("message", &d.message)?;
            item.set_item("hints", &d.hints)?;
            list.append(item)
        })();
        if let Err(e) = filled {
            return e;
        }
    }
    if let Err(e) = err.value(py).setattr("diagnostics", list) {
        return e;
    }
    err
}

/// `json.loads` of bytes made by trawl's serializer.
fn loads<'py>(py: Python<'py>, json: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    let text = std::str::from_utf8(json).map_err(|e| PyValueError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

/// One document to extract.
struct Job {
    seq: u64,
    id: String,
    /// The text, or why there is none: an error record's kind and message.
    text: Result<String, (ErrorKind, String)>,
    anchor: Option<Date>,
}

/// How every document of one `extract_many` is extracted.
#[derive(Clone)]
struct Settings {
    unit: OffsetUnit,
    internal: bool,
    opts: Options,
    /// `format="json"`: each document's filter-mode line as text, not dicts.
    json: bool,
}

/// What came of one document: its records (typed, or as filter mode's line), or an error record's
/// kind and message.
type Outcome = Result<Done, (ErrorKind, String)>;

/// A document's records, as `extract_many` was asked for them.
enum Done {
    Records(Vec<Record>),
    /// The whole filter-mode line, as `trawl extract --per-document` writes it (no line break).
    Line(String),
}

/// The filter-mode line of one document's records, written as the CLI writes it.
fn line_of(
    rules: &trawl::Rules,
    id: &str,
    text: &str,
    opts: &Options,
    s: &Settings,
    scratch: &mut exec::Scratch,
) -> Result<String, trawl::Exceeded> {
    let prog = &rules.program;
    let mut out = format!("{{\"v\":{SCHEMA_VERSION},\"id\":{},\"records\":[", serde_json::Value::from(id)).into_bytes();
    let mut first = true;
    exec::extract_text(prog, text, opts, scratch, |_, doc, ex| {
        for &a in if s.internal { &ex.kept } else { &ex.output } {
            if !std::mem::take(&mut first) {
                out.push(b',');
            }
            output::RecordView::new(prog, doc, &ex.annotations[a as usize], s.unit, None).write_json(&mut out);
        }
        true
    })?;
    out.extend_from_slice(b"]}");
    // Serde writes UTF-8.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// The records of one text (with `internal`, those of internal labels too).
fn records_of(
    rules: &trawl::Rules,
    text: &str,
    opts: &Options,
    s: &Settings,
    scratch: &mut exec::Scratch,
) -> Result<Vec<Record>, trawl::Exceeded> {
    let (prog, mut out) = (&rules.program, Vec::new());
    exec::extract_text(prog, text, opts, scratch, |_, doc, ex| {
        let ids = if s.internal { &ex.kept } else { &ex.output };
        out.extend(ids.iter().map(|&a| output::record(prog, doc, &ex.annotations[a as usize], s.unit)));
        true
    })?;
    Ok(out)
}

/// Extracts one document of `extract_many`; a panic is an `internal` error, as in the CLI.
fn process(rules: &trawl::Rules, job: &Job, s: &Settings, scratch: &mut exec::Scratch) -> Outcome {
    let text = job.text.as_ref().map_err(Clone::clone)?;
    if text.len() > MAX_DOC_BYTES {
        let msg = format!("larger than --max-doc-bytes ({MAX_DOC_BYTES})");
        return Err((ErrorKind::TooLarge, msg));
    }
    let opts = Options { anchor: job.anchor.or(s.opts.anchor), ..s.opts.clone() };
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if s.json {
            line_of(rules, &job.id, text, &opts, s, scratch).map(Done::Line)
        } else {
            records_of(rules, text, &opts, s, scratch).map(Done::Records)
        }
    }));
    match res {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err((ErrorKind::from(&e), e.to_string())),
        Err(_) => {
            *scratch = exec::Scratch::new();
            Err((ErrorKind::Internal, "internal error while extracting; please report it".to_string()))
        }
    }
}

/// A value as Python: `None`, `bool`, `int`, `float`, `str`, a span dict or a list.
fn value_py<'py>(py: Python<'py>, v: &FieldValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        FieldValue::Null => py.None().into_bound(py),
        FieldValue::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        FieldValue::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (_, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any(),
        },
        FieldValue::Text(t) => PyString::new(py, t).into_any(),
        FieldValue::Span(s) => {
            let d = PyDict::new(py);
            d.set_item(intern!(py, "text"), &s.text)?;
            d.set_item(intern!(py, "start"), s.start)?;
            d.set_item(intern!(py, "end"), s.end)?;
            d.into_any()
        }
        FieldValue::List(items) => {
            PyList::new(py, items.iter().map(|i| value_py(py, i)).collect::<PyResult<Vec<_>>>()?)?.into_any()
        }
    })
}

/// Python strings for the names records repeat (labels, rule names, sources, field names), made
/// once per call of `extract` or `extract_many`.
#[derive(Default)]
struct Names(std::collections::HashMap<String, Py<PyString>>);

impl Names {
    fn get<'py>(&mut self, py: Python<'py>, name: &str) -> Bound<'py, PyString> {
        if let Some(s) = self.0.get(name) {
            return s.bind(py).clone();
        }
        let s = PyString::intern(py, name);
        self.0.insert(name.to_string(), s.clone().unbind());
        s
    }
}

fn fields_py<'py>(py: Python<'py>, fields: &Fields, names: &mut Names) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in fields {
        d.set_item(names.get(py, k), value_py(py, v)?)?;
    }
    Ok(d)
}

/// A record as the dict `json.loads` would make of its line: the same keys, in the same order
/// (`v` and `doc` first with `doc`, as `trawl extract`; without, as filter mode nests it).
/// Labels, rule names and sources are interned: records share them.
fn record_py<'py>(
    py: Python<'py>,
    r: &Record,
    doc: Option<&Bound<'py, PyString>>,
    names: &mut Names,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    if let Some(doc) = doc {
        d.set_item(intern!(py, "v"), SCHEMA_VERSION)?;
        d.set_item(intern!(py, "doc"), doc)?;
    }
    d.set_item(intern!(py, "label"), names.get(py, &r.label))?;
    if r.internal {
        d.set_item(intern!(py, "internal"), true)?;
    }
    d.set_item(intern!(py, "start"), r.start)?;
    d.set_item(intern!(py, "end"), r.end)?;
    d.set_item(intern!(py, "text"), &r.text)?;
    d.set_item(intern!(py, "fields"), fields_py(py, &r.fields, names)?)?;
    d.set_item(intern!(py, "rule"), names.get(py, &r.rule))?;
    d.set_item(intern!(py, "source"), names.get(py, &r.source))?;
    d.set_item(intern!(py, "captures"), fields_py(py, &r.captures, names)?)?;
    Ok(d)
}

/// Runs `f` with Python's cyclic garbage collector paused (if it is on). Building a document's
/// records allocates thousands of dicts, none of them in a cycle; with the collector on, the
/// collections that the allocations set off took more time than the building itself (0.35 of
/// 0.55 s of the caller's thread on 10 MB of transcripts). Paused, the collector runs at most once
/// per document, when the next allocation finds its counters over the threshold.
fn without_gc<'py, T>(py: Python<'py>, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let gc = py.import(intern!(py, "gc"))?;
    let was_on: bool = gc.call_method0(intern!(py, "isenabled"))?.extract()?;
    if was_on {
        gc.call_method0(intern!(py, "disable"))?;
    }
    let out = f();
    if was_on {
        gc.call_method0(intern!(py, "enable"))?;
    }
    out
}

/// One document's result as filter mode writes it: `{"v", "id", "records"}` or `{"v", "id", "error"}`
/// (with `json`, that line as a `str`).
fn outcome_py<'py>(
    py: Python<'py>,
    id: &str,
    outcome: &Outcome,
    json: bool,
    names: &mut Names,
) -> PyResult<Bound<'py, PyAny>> {
    if let Ok(Done::Line(line)) = outcome {
        return Ok(PyString::new(py, line).into_any());
    }
    if let (true, Err((kind, message))) = (json, outcome) {
        let line = serde_json::to_string(&trawl::output::DocumentLine::error(id, *kind, message)).unwrap_or_default();
        return Ok(PyString::new(py, &line).into_any());
    }
    let d = PyDict::new(py);
    d.set_item(intern!(py, "v"), SCHEMA_VERSION)?;
    d.set_item(intern!(py, "id"), id)?;
    match outcome {
        Ok(Done::Line(_)) => {}
        Ok(Done::Records(records)) => {
            let list = PyList::empty(py);
            for r in records {
                list.append(record_py(py, r, None, names)?)?;
            }
            d.set_item(intern!(py, "records"), list)?;
        }
        Err((kind, message)) => {
            let e = PyDict::new(py);
            e.set_item(intern!(py, "kind"), kind.as_str())?;
            e.set_item(intern!(py, "message"), message)?;
            d.set_item(intern!(py, "error"), e)?;
        }
    }
    Ok(d.into_any())
}

/// A document from the iterable: a `str`, or a dict (any mapping) with `text` and optionally `id`
/// and `date`.
fn job_of(seq: u64, item: &Bound<'_, PyAny>) -> Job {
    let fallback = seq.to_string();
    if let Ok(text) = item.extract::<String>() {
        return Job { seq, id: fallback, text: Ok(text), anchor: None };
    }
    let Ok(dict) = item.cast::<pyo3::types::PyMapping>() else {
        let kind = item.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string());
        let msg = format!("a document is a str or a dict (a mapping) with \"text\", not {kind}");
        return Job { seq, id: fallback, text: Err((ErrorKind::InvalidDocument, msg)), anchor: None };
    };
    let get = |k: &str| dict.get_item(k).ok().filter(|v| !v.is_none());
    let id = match get("id") {
        None => fallback,
        Some(v) => v.extract::<String>().unwrap_or_else(|_| v.str().map_or(fallback, |s| s.to_string())),
    };
    let bad = |id: String, msg: String| Job { seq, id, text: Err((ErrorKind::InvalidDocument, msg)), anchor: None };
    let anchor = match get("date") {
        None => None,
        Some(v) => match anchor_of(Some(&v)) {
            Ok(d) => d,
            Err(_) => return bad(id, format!("\"date\" is not a date (YYYY-MM-DD): {v}")),
        },
    };
    match get("text").map(|t| t.extract::<String>()) {
        Some(Ok(text)) => Job { seq, id, text: Ok(text), anchor },
        // The CLI's words for the same faults of a JSON Lines document.
        Some(Err(_)) => bad(id, "field `text` is not a string".to_string()),
        None => bad(id, "no field `text`".to_string()),
    }
}

#[pymethods]
impl Rules {
    /// Loads rule files or folders of rule files (each folder one pack, with the packs it uses).
    /// A name of a bundled pack (`news/dates`) that is not a path on disk loads the bundled pack.
    #[staticmethod]
    fn from_paths(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Rules> {
        let absolute =
            |p: &PathBuf| if p.exists() { std::path::absolute(p).unwrap_or_else(|_| p.clone()) } else { p.clone() };
        let origin = Origin::Paths(paths.iter().map(absolute).collect());
        let resolved: Vec<PathBuf> = paths.iter().map(|p| trawl::check::load::bundled_or(p)).collect();
        let rules = py.detach(|| trawl::Rules::from_paths(&resolved)).map_err(|e| rule_error(py, &e))?;
        Ok(Rules { inner: Arc::new(rules), origin })
    }

    /// Compiles one rule file given as text; `name` is what diagnostics and `source` call it.
    #[staticmethod]
    fn from_source(py: Python<'_>, name: &str, text: &str) -> PyResult<Rules> {
        let rules = py.detach(|| trawl::Rules::from_source(name, text)).map_err(|e| rule_error(py, &e))?;
        Ok(Rules { inner: Arc::new(rules), origin: Origin::Source(name.to_string(), text.to_string()) })
    }

    /// A bundled pack: `news` (people, places, organisations, dates, money, events), or one of
    /// its parts (`news/dates`, `news/people`, ...; `trawl.bundled_packs()` lists them).
    #[staticmethod]
    #[pyo3(signature = (name = "news"))]
    fn bundled(py: Python<'_>, name: &str) -> PyResult<Rules> {
        let rules = py.detach(|| trawl::Rules::bundled(name)).map_err(|e| rule_error(py, &e))?;
        Ok(Rules { inner: Arc::new(rules), origin: Origin::Bundled(name.to_string()) })
    }

    /// The records of one text, as a list of dicts identical to the lines `trawl extract` writes
    /// (`doc` is their `doc` field). `anchor_date` (`"YYYY-MM-DD"` or a `datetime.date`) resolves
    /// relative dates; `offsets` is `"chars"` (Python `str` indices) or `"bytes"` (UTF-8).
    /// Raises `ExtractionError` when the document passes a limit (`timeout` in seconds).
    #[pyo3(signature = (text, anchor_date = None, offsets = "chars", doc = "-", internal = false, timeout = None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn extract<'py>(
        &self,
        py: Python<'py>,
        text: &str,
        anchor_date: Option<&Bound<'py, PyAny>>,
        offsets: &str,
        doc: &str,
        internal: bool,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opts = options(anchor_of(anchor_date)?, timeout)?;
        let settings = Settings { unit: unit_of(offsets)?, internal, opts, json: false };
        let rules = &self.inner;
        let res = py.detach(|| records_of(rules, text, &settings.opts, &settings, &mut exec::Scratch::new()));
        match res {
            Ok(records) => without_gc(py, || {
                let doc = PyString::new(py, doc);
                let list = PyList::empty(py);
                let mut names = Names::default();
                for r in &records {
                    list.append(record_py(py, r, Some(&doc), &mut names)?)?;
                }
                Ok(list.into_any())
            }),
            Err(e) => {
                let err = ExtractionError::new_err(e.to_string());
                err.value(py).setattr("kind", e.kind())?;
                Err(err)
            }
        }
    }

    /// Extracts from every document of an iterable (of `str`, or dicts with `text` and optionally
    /// `id` and `date`), streaming: yields one dict per document, in input order —
    /// `{"v": 1, "id": ..., "records": [...]}`, or `{"v": 1, "id": ..., "error": {"kind", "message"}}`
    /// for a document that could not be processed (the run goes on). Ids default to the position
    /// in the input (`"0"`, `"1"`, ...). `threads` workers extract with the GIL released.
    /// `format="json"` yields each document's line as a `str` instead, exactly as
    /// `trawl extract --per-document` writes it (no Python objects per record: for writing JSON
    /// Lines, or handing them to Spark or a queue).
    #[pyo3(signature = (docs, threads = 1, anchor_date = None, offsets = "chars", internal = false, timeout = None, format = "dict"))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn extract_many(
        &self,
        docs: &Bound<'_, PyAny>,
        threads: usize,
        anchor_date: Option<&Bound<'_, PyAny>>,
        offsets: &str,
        internal: bool,
        timeout: Option<f64>,
        format: &str,
    ) -> PyResult<Many> {
        if threads == 0 {
            return Err(PyValueError::new_err("threads must be at least 1"));
        }
        let json = match format {
            "dict" => false,
            "json" => true,
            other => return Err(PyValueError::new_err(format!("format must be \"dict\" or \"json\", not {other:?}"))),
        };
        let opts = options(anchor_of(anchor_date)?, timeout)?;
        let settings = Settings { unit: unit_of(offsets)?, internal, opts, json };
        let input = docs.try_iter()?.unbind();
        // Even with one thread the extraction runs on a worker: the caller's thread meanwhile
        // turns the lines that are done into Python objects.
        let pool = Some(Pool::start(self.inner.clone(), settings, threads));
        Ok(Many {
            state: Mutex::new(ManyState {
                input: Some(input),
                pool,
                next_seq: 0,
                next_out: 0,
                ready: BTreeMap::new(),
                names: Names::default(),
                json,
                limit: threads * IN_FLIGHT_PER_THREAD,
            }),
        })
    }

    /// Runs the examples of the rules' files (`trawl test --format json`): a dict with
    /// `examples` (rule, file, line, kind, text, status, problems) and `summary`.
    fn test<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let rules = &self.inner;
        let json = py.detach(|| trawl::testing::report::json(&trawl::testing::run_examples(rules)));
        loads(py, json.as_bytes())
    }

    /// The output labels, sorted.
    #[getter]
    fn labels(&self) -> Vec<String> {
        let mut labels: Vec<String> =
            self.inner.program.set.labels.iter().filter(|l| l.output).map(|l| l.name.clone()).collect();
        labels.sort();
        labels.dedup();
        labels
    }

    /// The messages of the warnings found while loading.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.iter().map(|w| w.message.clone()).collect()
    }

    /// Pickling (for `multiprocessing`, `concurrent.futures` and the like): the rules are
    /// compiled again from where they came from — the same files (by absolute path), the same
    /// source text, or the same bundled pack.
    fn __reduce__<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
        let class = py.get_type::<Rules>();
        Ok(match &self.origin {
            Origin::Paths(paths) => (class.getattr("from_paths")?, (paths.clone(),).into_pyobject(py)?.into_any()),
            Origin::Source(name, text) => {
                (class.getattr("from_source")?, (name.clone(), text.clone()).into_pyobject(py)?.into_any())
            }
            Origin::Bundled(name) => (class.getattr("bundled")?, (name.clone(),).into_pyobject(py)?.into_any()),
        })
    }

    fn __repr__(&self) -> String {
        format!("<trawl.Rules {}: {} rules>", self.origin, self.inner.program.set.rules.len())
    }
}

/// Worker threads of one `extract_many`: jobs in by one queue, lines out by another.
struct Pool {
    jobs: Option<Sender<Job>>,
    /// Behind a lock only so that a thread without the GIL may wait on it (one reader).
    done: Mutex<Receiver<(u64, String, Outcome)>>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Pool {
    fn start(rules: Arc<trawl::Rules>, settings: Settings, threads: usize) -> Pool {
        let (jobs, queue) = channel::<Job>();
        let (send, done) = channel();
        let queue = Arc::new(Mutex::new(queue));
        let workers = (0..threads)
            .map(|_| {
                let (rules, queue, send, settings) = (rules.clone(), queue.clone(), send.clone(), settings.clone());
                std::thread::spawn(move || {
                    let mut scratch = exec::Scratch::new();
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let outcome = process(&rules, &job, &settings, &mut scratch);
                        if send.send((job.seq, job.id, outcome)).is_err() {
                            return;
                        }
                    }
                })
            })
            .collect();
        Pool { jobs: Some(jobs), done: Mutex::new(done), workers }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs = None; // the workers see the queue closed once it is empty
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

struct ManyState {
    /// The documents; `None` once exhausted.
    input: Option<Py<PyIterator>>,
    pool: Option<Pool>,
    /// Documents read so far.
    next_seq: u64,
    /// The next document to yield.
    next_out: u64,
    /// Documents that came back before their turn.
    ready: BTreeMap<u64, (String, Outcome)>,
    limit: usize,
    names: Names,
    /// `format="json"`.
    json: bool,
}

use pyo3::types::PyIterator;

/// The iterator `Rules.extract_many` returns: one dict per document, in input order.
#[pyclass(module = "trawl")]
struct Many {
    state: Mutex<ManyState>,
}

impl ManyState {
    /// The next document from the input, or `None` at its end.
    fn read(&mut self, py: Python<'_>) -> PyResult<Option<Job>> {
        let Some(input) = &self.input else { return Ok(None) };
        match input.bind(py).clone().next() {
            Some(item) => {
                let job = job_of(self.next_seq, &item?);
                self.next_seq += 1;
                Ok(Some(job))
            }
            None => {
                self.input = None;
                Ok(None)
            }
        }
    }

    /// The next document's id and outcome, or `None` when every document has been yielded.
    fn next_done(&mut self, py: Python<'_>) -> PyResult<Option<(String, Outcome)>> {
        if self.pool.is_none() {
            return Ok(None);
        }
        while (self.next_seq - self.next_out) < self.limit as u64 {
            let Some(job) = self.read(py)? else { break };
            let pool = self.pool.as_ref().expect("pool");
            if pool.jobs.as_ref().is_none_or(|j| j.send(job).is_err()) {
                return Err(PyException::new_err("trawl: the worker threads stopped"));
            }
        }
        if self.next_out == self.next_seq {
            self.pool = None;
            return Ok(None);
        }
        let want = self.next_out;
        let (pool, ready) = (self.pool.as_ref().expect("pool"), &mut self.ready);
        let done_doc = py.detach(|| loop {
            if let Some(done_doc) = ready.remove(&want) {
                return Some(done_doc);
            }
            let Ok(done) = pool.done.lock() else { return None };
            match done.recv() {
                Ok((seq, id, outcome)) => drop(ready.insert(seq, (id, outcome))),
                Err(_) => return None,
            }
        });
        self.next_out += 1;
        done_doc.map(Some).ok_or_else(|| PyException::new_err("trawl: the worker threads stopped"))
    }
}

#[pymethods]
impl Many {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut state = self.state.lock().map_err(|_| PyException::new_err("trawl: a previous call failed"))?;
        match state.next_done(py)? {
            Some((id, outcome)) => {
                let (json, names) = (state.json, &mut state.names);
                without_gc(py, || outcome_py(py, &id, &outcome, json, names)).map(Some)
            }
            None => Ok(None),
        }
    }
}

/// The names of the bundled packs (`news`, `news/dates`, ...).
#[pyfunction]
fn bundled_packs() -> Vec<String> {
    trawl::check::load::bundled_packs()
}

/// The record schema's version (the `v` of every record).
#[pyfunction]
fn schema_version() -> u32 {
    SCHEMA_VERSION
}

#[pymodule]
fn _trawl(m: &Bound<'_, PyModule>) -> PyResult<()> {
    alloc::init();
    m.add_class::<Rules>()?;
    m.add_class::<Many>()?;
    m.add("RuleError", m.py().get_type::<RuleError>())?;
    m.add("ExtractionError", m.py().get_type::<ExtractionError>())?;
    m.add_function(wrap_pyfunction!(bundled_packs, m)?)?;
    m.add_function(wrap_pyfunction!(schema_version, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
