//! trawl for Python: the `trawl._trawl` extension module (`python/trawl/__init__.py` re-exports it).
//!
//! In: rule files (paths on disk, one file's text, or a bundled pack's name) and documents as
//! Python `str`s or `{"id", "text", "date"}` dicts. Out: records as Python dicts.
//!
//! Records are made by `json.loads` from exactly the bytes `trawl extract` writes for them
//! ([`trawl::Rules::write_records`], the CLI's serializer): one serializer for the command line and
//! for Python, so the two cannot drift, and `json.loads` builds the dicts in C.
//!
//! Extraction runs with the GIL released. `extract_many` runs `threads` workers over one shared,
//! immutable program (each with its own scratch space), keeps at most a fixed number of documents
//! in flight (read from the Python iterable but not yet yielded), and yields one dict per document
//! in input order: `{"v", "id", "records"}`, or `{"v", "id", "error"}` for a document that could not
//! be processed, as `trawl extract --per-document` writes them.

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use trawl::output::{DocumentLine, ErrorKind, SCHEMA_VERSION};
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
    /// How it was made, for `repr`: `bundled:news`, the paths, or the source's name.
    origin: String,
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
}

/// The filter-mode line of one document, as `trawl extract --per-document` writes it.
fn process(rules: &trawl::Rules, job: &Job, s: &Settings, scratch: &mut exec::Scratch) -> Vec<u8> {
    let failure = |kind: ErrorKind, message: &str| {
        serde_json::to_vec(&DocumentLine::error(&job.id, kind, message)).unwrap_or_default()
    };
    let text = match &job.text {
        Ok(t) => t,
        Err((kind, message)) => return failure(*kind, message),
    };
    if text.len() > MAX_DOC_BYTES {
        return failure(
            ErrorKind::TooLarge,
            &format!("{} bytes is more than the limit of {MAX_DOC_BYTES}", text.len()),
        );
    }
    let id = serde_json::Value::from(job.id.as_str());
    let mut out = format!("{{\"v\":{SCHEMA_VERSION},\"id\":{id},\"records\":").into_bytes();
    let opts = Options { anchor: job.anchor.or(s.opts.anchor), ..s.opts.clone() };
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let how = trawl::output::Lines { unit: s.unit, doc: None, internal: s.internal };
        rules.write_records(text, &opts, &how, scratch, &mut out)
    }));
    match res {
        Ok(Ok(_)) => {
            out.push(b'}');
            out
        }
        Ok(Err(e)) => failure(ErrorKind::from(&e), &e.to_string()),
        Err(_) => {
            *scratch = exec::Scratch::new();
            failure(ErrorKind::Internal, "internal error while extracting; please report it")
        }
    }
}

/// A document from the iterable: a `str`, or a dict with `text` and optionally `id` and `date`.
fn job_of(seq: u64, item: &Bound<'_, PyAny>) -> Job {
    let fallback = seq.to_string();
    if let Ok(text) = item.extract::<String>() {
        return Job { seq, id: fallback, text: Ok(text), anchor: None };
    }
    let Ok(dict) = item.cast::<PyDict>() else {
        let kind = item.get_type().name().map_or_else(|_| "?".to_string(), |n| n.to_string());
        let msg = format!("a document is a str or a dict with \"text\", not {kind}");
        return Job { seq, id: fallback, text: Err((ErrorKind::InvalidDocument, msg)), anchor: None };
    };
    let get = |k: &str| dict.get_item(k).ok().flatten().filter(|v| !v.is_none());
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
        Some(Err(_)) => bad(id, "\"text\" is not a string".to_string()),
        None => bad(id, "the document has no \"text\"".to_string()),
    }
}

#[pymethods]
impl Rules {
    /// Loads rule files or folders of rule files (each folder one pack, with the packs it uses).
    /// A name of a bundled pack (`news/dates`) that is not a path on disk loads the bundled pack.
    #[staticmethod]
    fn from_paths(py: Python<'_>, paths: Vec<PathBuf>) -> PyResult<Rules> {
        let origin = paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        let resolved: Vec<PathBuf> = paths.iter().map(|p| trawl::check::load::bundled_or(p)).collect();
        let rules = py.detach(|| trawl::Rules::from_paths(&resolved)).map_err(|e| rule_error(py, &e))?;
        Ok(Rules { inner: Arc::new(rules), origin })
    }

    /// Compiles one rule file given as text; `name` is what diagnostics and `source` call it.
    #[staticmethod]
    fn from_source(py: Python<'_>, name: &str, text: &str) -> PyResult<Rules> {
        let rules = py.detach(|| trawl::Rules::from_source(name, text)).map_err(|e| rule_error(py, &e))?;
        Ok(Rules { inner: Arc::new(rules), origin: format!("source {name}") })
    }

    /// A bundled pack: `news` (people, places, organisations, dates, money, events), or one of
    /// its parts (`news/dates`, `news/people`, ...; `trawl.bundled_packs()` lists them).
    #[staticmethod]
    #[pyo3(signature = (name = "news"))]
    fn bundled(py: Python<'_>, name: &str) -> PyResult<Rules> {
        let rules = py.detach(|| trawl::Rules::bundled(name)).map_err(|e| rule_error(py, &e))?;
        Ok(Rules { inner: Arc::new(rules), origin: format!("bundled:{name}") })
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
        let (unit, opts) = (unit_of(offsets)?, options(anchor_of(anchor_date)?, timeout)?);
        let rules = &self.inner;
        let res = py.detach(|| {
            let mut out = Vec::with_capacity(text.len() / 2);
            let how = trawl::output::Lines { unit, doc: Some(doc), internal };
            rules.write_records(text, &opts, &how, &mut exec::Scratch::new(), &mut out).map(|_| out)
        });
        match res {
            Ok(json) => loads(py, &json),
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
    #[pyo3(signature = (docs, threads = 1, anchor_date = None, offsets = "chars", internal = false, timeout = None))]
    #[allow(clippy::too_many_arguments)] // Python's keyword arguments
    fn extract_many(
        &self,
        docs: &Bound<'_, PyAny>,
        threads: usize,
        anchor_date: Option<&Bound<'_, PyAny>>,
        offsets: &str,
        internal: bool,
        timeout: Option<f64>,
    ) -> PyResult<Many> {
        if threads == 0 {
            return Err(PyValueError::new_err("threads must be at least 1"));
        }
        let settings = Settings { unit: unit_of(offsets)?, internal, opts: options(anchor_of(anchor_date)?, timeout)? };
        let input = docs.try_iter()?.unbind();
        let pool = (threads > 1).then(|| Pool::start(self.inner.clone(), settings.clone(), threads));
        Ok(Many {
            state: Mutex::new(ManyState {
                rules: self.inner.clone(),
                settings,
                input: Some(input),
                pool,
                next_seq: 0,
                next_out: 0,
                ready: BTreeMap::new(),
                scratch: exec::Scratch::new(),
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

    /// The warnings found while loading, rendered.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.iter().map(|w| w.message.clone()).collect()
    }

    fn __repr__(&self) -> String {
        format!("<trawl.Rules {}: {} rules>", self.origin, self.inner.program.set.rules.len())
    }
}

/// Worker threads of one `extract_many`: jobs in by one queue, lines out by another.
struct Pool {
    jobs: Option<Sender<Job>>,
    /// Behind a lock only so that a thread without the GIL may wait on it (one reader).
    done: Mutex<Receiver<(u64, Vec<u8>)>>,
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
                        let line = process(&rules, &job, &settings, &mut scratch);
                        if send.send((job.seq, line)).is_err() {
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
    rules: Arc<trawl::Rules>,
    settings: Settings,
    /// The documents; `None` once exhausted.
    input: Option<Py<PyIterator>>,
    pool: Option<Pool>,
    /// Documents read so far.
    next_seq: u64,
    /// The next document to yield.
    next_out: u64,
    /// Lines that came back before their turn.
    ready: BTreeMap<u64, Vec<u8>>,
    scratch: exec::Scratch,
    limit: usize,
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

    /// The line of the next document, or `None` when every document has been yielded.
    fn next_line(&mut self, py: Python<'_>) -> PyResult<Option<Vec<u8>>> {
        if self.pool.is_none() {
            let Some(job) = self.read(py)? else { return Ok(None) };
            self.next_out += 1;
            let (rules, settings, scratch) = (&self.rules, &self.settings, &mut self.scratch);
            return Ok(Some(py.detach(|| process(rules, &job, settings, scratch))));
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
        let line = py.detach(|| loop {
            if let Some(line) = ready.remove(&want) {
                return Some(line);
            }
            let Ok(done) = pool.done.lock() else { return None };
            match done.recv() {
                Ok((seq, line)) => drop(ready.insert(seq, line)),
                Err(_) => return None,
            }
        });
        self.next_out += 1;
        line.map(Some).ok_or_else(|| PyException::new_err("trawl: the worker threads stopped"))
    }
}

#[pymethods]
impl Many {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let mut state = self.state.lock().map_err(|_| PyException::new_err("trawl: a previous call failed"))?;
        match state.next_line(py)? {
            Some(line) => loads(py, &line).map(Some),
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
    m.add_class::<Rules>()?;
    m.add_class::<Many>()?;
    m.add("RuleError", m.py().get_type::<RuleError>())?;
    m.add("ExtractionError", m.py().get_type::<ExtractionError>())?;
    m.add_function(wrap_pyfunction!(bundled_packs, m)?)?;
    m.add_function(wrap_pyfunction!(schema_version, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
