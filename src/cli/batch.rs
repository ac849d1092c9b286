//! Batch extraction: documents in, JSON Lines out, on every core, streaming.
//!
//! One reader thread turns the inputs into numbered jobs; `threads` workers
//! extract (each with its own scratch space; the compiled rules are shared);
//! the calling thread writes results as they come, in input order unless
//! `--unordered`. At most a fixed number of documents are in flight (read
//! but not yet written), so memory is bounded by them, not by the corpus.
//! With one thread everything runs on the calling thread.
//!
//! Every document yields its records or one error record; a panic while
//! extracting one document becomes an error record of kind `internal`. In
//! per-document mode (filter mode) every input yields exactly one line. A
//! long document's records are handed to the writer in parts as its pieces
//! are extracted (see `trawl::exec::extract_text`); over a limit midway, the
//! parts already written stay and its error record follows them.
//!
//! Shutting down: a [`Control`] is shared with whoever may stop the run (the
//! CLI's signal handler). Once it says stop, no further document is read;
//! every document already read is extracted and written. A write error (or a
//! closed pipe) stops the run the same way: the writer raises the flag and
//! drains the job queue, so a reader blocked on a full queue wakes, sees the
//! flag and ends, and every thread of the scope returns.

use super::inputs::{parse_line, read_whole, DocError, JsonlFields, JsonlReader, RawLine, Source};
use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use trawl::output::{self, error_record, DocumentLine, ErrorKind, OffsetUnit, SCHEMA_VERSION};
use trawl::{exec, Date, Options, Rules};

/// How records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One JSON line per annotation.
    Jsonl,
    /// One readable line per annotation.
    Text,
    /// One JSON line per document (filter mode).
    PerDocument,
    /// One JSON object per document, for the HTML page (`trawl::html`).
    Html,
}

/// How `--stats` is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsFormat {
    /// Lines for people, on stderr.
    Human,
    /// One JSON line, on stderr.
    Json,
}

/// A validated batch run.
pub struct Config<'r> {
    /// The compiled rules.
    pub rules: &'r Rules,
    /// The inputs.
    pub sources: Vec<Source>,
    /// Read inputs as JSON Lines documents with these fields.
    pub jsonl: Option<JsonlFields>,
    /// Anchor date for documents without one of their own.
    pub anchor: Option<Date>,
    /// Offsets in records.
    pub unit: OffsetUnit,
    /// Output layout.
    pub layout: Layout,
    /// Worker threads (1: everything on the calling thread).
    pub threads: usize,
    /// Write in input order.
    pub ordered: bool,
    /// Larger documents get an error record.
    pub max_doc_bytes: u64,
    /// Print a summary at the end.
    pub stats: Option<StatsFormat>,
    /// Shared with whoever may stop the run.
    pub control: std::sync::Arc<Control>,
    /// The work one document may cost.
    pub limits: trawl::Limits,
    /// What a single line break inside a paragraph is.
    pub line_breaks: trawl::text::LineBreaks,
    /// Longer documents are extracted in pieces of about this size.
    pub piece_bytes: usize,
    /// Write the records of internal labels too (`--internal`).
    pub internal: bool,
    /// No message per failed document on stderr (`-q`); the error records are still written.
    pub quiet: bool,
}

/// What a run shares with whoever may stop it (a signal handler, or its own
/// writer after a write error): a stop flag and how far reading and writing are.
#[derive(Debug, Default)]
pub struct Control {
    stop: AtomicBool,
    read: AtomicU64,
    written: AtomicU64,
    /// The reader is blocked on input (a pipe kept open upstream).
    waiting: std::sync::Arc<AtomicBool>,
}

impl Control {
    /// Asks the run to read no further document; those read are still written.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Whether the run was asked to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Whether, after a stop, the run can end here without losing a document
    /// it has read: every document read is written and the reader is blocked
    /// on input (when it is not, it ends the run itself).
    pub fn idle(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) && self.written.load(Ordering::SeqCst) >= self.read.load(Ordering::SeqCst)
    }
}

/// What the run did.
#[derive(Debug, Default)]
pub struct Totals {
    /// Documents seen.
    pub docs: u64,
    /// Documents that got an error record.
    pub failed: u64,
    /// Text bytes extracted from.
    pub bytes: u64,
    /// Matching steps taken (see `trawl::exec::Scratch::steps`).
    pub steps: u64,
    /// Values lost to overflow or division by zero (see `trawl::exec::Scratch::faults`).
    pub faults: u64,
    /// Records per label.
    pub labels: BTreeMap<String, u64>,
    /// The output was closed downstream.
    pub closed: bool,
}

struct Job {
    seq: u64,
    id: String,
    text: Result<String, DocError>,
    anchor: Option<Date>,
    /// A JSON Lines line still to parse (by the worker, not the reader).
    raw: Option<RawLine>,
}

/// A document's output, or a part of it (`last` says which); the totals are in the last part.
struct Done {
    seq: u64,
    out: Vec<u8>,
    last: bool,
    failed: bool,
    bytes: u64,
    steps: u64,
    faults: u64,
    /// Records per label.
    labels: BTreeMap<String, u64>,
}

/// Reads every input in order, calling `emit` per document; stops early when
/// `emit` says so or the run is asked to stop (JSON Lines already buffered are
/// still given). A document counts as read (so that a stop waits for its
/// output) before it is handed on.
fn read_all(cfg: &Config, mut emit_one: impl FnMut(Job) -> bool) {
    let control = &cfg.control;
    let mut emit = |job: Job| {
        control.read.fetch_add(1, Ordering::SeqCst);
        emit_one(job) && (cfg.jsonl.is_some() || !control.stopped())
    };
    let mut seq = 0u64;
    for src in &cfg.sources {
        if control.stopped() {
            return;
        }
        match (&cfg.jsonl, &src.input) {
            // An entry a folder walk could not use is its error record, in either mode.
            (_, super::inputs::Input::Skipped(e)) => {
                let job = Job { seq, id: src.id.clone(), text: Err(e.clone()), anchor: None, raw: None };
                seq += 1;
                if !emit(job) {
                    return;
                }
            }
            (None, _) => {
                control.waiting.store(true, Ordering::SeqCst);
                let text = read_whole(&src.input, cfg.max_doc_bytes);
                control.waiting.store(false, Ordering::SeqCst);
                let job = Job { seq, id: src.id.clone(), text, anchor: None, raw: None };
                seq += 1;
                if !emit(job) {
                    return;
                }
            }
            (Some(_), _) => {
                let mut reader = match JsonlReader::open(src, cfg.max_doc_bytes) {
                    Ok(r) => r,
                    Err(e) => {
                        let job = Job {
                            seq,
                            id: src.id.clone(),
                            text: Err((ErrorKind::Unreadable, e.to_string())),
                            anchor: None,
                            raw: None,
                        };
                        seq += 1;
                        if !emit(job) {
                            return;
                        }
                        continue;
                    }
                };
                reader.keep_blank = cfg.layout == Layout::PerDocument;
                reader.waiting = Some(control.waiting.clone());
                while let Some(item) = reader.next_raw(control.stopped()) {
                    let job = match item {
                        Ok(raw) => {
                            Job { seq, id: String::new(), text: Ok(String::new()), anchor: None, raw: Some(raw) }
                        }
                        Err(d) => Job { seq, id: d.id, text: d.text, anchor: d.anchor, raw: None },
                    };
                    seq += 1;
                    if !emit(job) {
                        return;
                    }
                }
            }
        }
    }
}

/// Output a document's records are handed on in once it has this much (a long document's
/// records are written while its later pieces are extracted).
const PART_BYTES: usize = 256 << 10;

/// Extracts one job into its output lines, handed to `send` in order: parts of the output
/// while a long document is extracted (except in per-document mode, whose one line is whole),
/// then the last part with the document's totals. Stops sending when `send` says so.
fn process(cfg: &Config, job: Job, scratch: &mut exec::Scratch, send: &mut dyn FnMut(Done) -> bool) {
    let Job { seq, mut id, mut text, mut anchor, raw } = job;
    if let (Some(raw), Some(fields)) = (raw, &cfg.jsonl) {
        let doc = parse_line(fields, cfg.max_doc_bytes, raw);
        (id, text, anchor) = (doc.id, doc.text, doc.anchor);
    }
    let failure = |kind: ErrorKind, msg: &str| -> Vec<u8> {
        if cfg.layout == Layout::Html {
            let mut out = vec![];
            trawl::html::error_json(&id, kind.as_str(), msg, &mut out);
            return out;
        }
        let rec = match cfg.layout {
            Layout::PerDocument => serde_json::to_string(&DocumentLine::error(&id, kind, msg)).unwrap_or_default(),
            _ => error_record(&id, kind, msg),
        };
        format!("{rec}\n").into_bytes()
    };
    let last = |out: Vec<u8>, failed: bool, bytes: u64| Done {
        seq,
        out,
        last: true,
        failed,
        bytes,
        steps: 0,
        faults: 0,
        labels: BTreeMap::new(),
    };
    let text = match text {
        Ok(t) => t,
        Err((kind, msg)) => {
            if !cfg.quiet {
                eprintln!("trawl: {id}: {msg}");
            }
            send(last(failure(kind, &msg), true, 0));
            return;
        }
    };
    let bytes = text.len() as u64;
    let opts = Options {
        anchor: anchor.or(cfg.anchor),
        limits: cfg.limits,
        line_breaks: cfg.line_breaks,
        piece_bytes: cfg.piece_bytes,
    };
    let whole = matches!(cfg.layout, Layout::PerDocument | Layout::Html);
    let mut out: Vec<u8> = Vec::new();
    let mut labels: BTreeMap<String, u64> = BTreeMap::new();
    let mut done_to = 0usize;
    let mut records = 0usize;
    let mut open = true;
    match cfg.layout {
        Layout::PerDocument => out.extend_from_slice(
            format!("{{\"v\":{SCHEMA_VERSION},\"id\":{},\"records\":[", serde_json::Value::from(id.as_str()))
                .as_bytes(),
        ),
        Layout::Html => trawl::html::open_document(&id, &text, &mut out),
        _ => {}
    }
    // Records are serialized one at a time, so a large document costs a piece's annotations
    // and a part of its output text, not a JSON tree per record.
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let prog = &cfg.rules.program;
        exec::extract_text(prog, &text, &opts, scratch, |(_, end), doc, ex| {
            for &a in if cfg.internal { &ex.kept } else { &ex.output } {
                let a = &ex.annotations[a as usize];
                let view = output::RecordView::new(prog, doc, a, cfg.unit, Some(&id));
                match cfg.layout {
                    Layout::Jsonl => {
                        view.write_json(&mut out);
                        out.push(b'\n');
                    }
                    Layout::Text => {
                        let r = output::record(prog, doc, a, cfg.unit);
                        out.extend_from_slice(format!("{id}\t{}\n", r.to_text()).as_bytes());
                    }
                    Layout::PerDocument => {
                        if records > 0 {
                            out.push(b',');
                        }
                        output::RecordView::new(prog, doc, a, cfg.unit, None).write_json(&mut out);
                    }
                    Layout::Html => trawl::html::record(prog, doc, a, records == 0, &mut out),
                }
                records += 1;
                match labels.get_mut(view.label()) {
                    Some(n) => *n += 1,
                    None => drop(labels.insert(view.label().to_string(), 1)),
                }
            }
            done_to = end;
            if !whole && out.len() >= PART_BYTES {
                let part = Done { seq, out: std::mem::take(&mut out), last: false, ..last(vec![], false, 0) };
                open = send(part);
            }
            open
        })
    }));
    if !open {
        return;
    }
    let mut done = match res {
        Ok(Ok(())) => {
            match cfg.layout {
                Layout::PerDocument => out.extend_from_slice(b"]}\n"),
                Layout::Html => trawl::html::close_document(&mut out),
                _ => {}
            }
            Done { labels, ..last(out, false, bytes) }
        }
        Ok(Err(e)) => {
            let mut msg = e.to_string();
            if !whole && done_to > 0 {
                msg.push_str(&format!("; the records of its first {done_to} bytes were written"));
            }
            if !cfg.quiet {
                eprintln!("trawl: {id}: {msg}");
            }
            let mut out = if whole { vec![] } else { out };
            out.extend(failure(ErrorKind::from(&e), &msg));
            last(out, true, bytes)
        }
        Err(_) => {
            *scratch = exec::Scratch::new();
            let msg = "internal error while extracting; please report it";
            if !cfg.quiet {
                eprintln!("trawl: {id}: {msg}");
            }
            let mut out = if whole { vec![] } else { out };
            out.extend(failure(ErrorKind::Internal, msg));
            send(last(out, true, bytes));
            return;
        }
    };
    (done.steps, done.faults) = (scratch.steps(), scratch.faults());
    send(done);
}

/// Progress on stderr when it is a terminal: documents, MB, MB/s, ETA.
struct Progress {
    on: bool,
    start: Instant,
    last: Instant,
    total_bytes: Option<u64>,
}

impl Progress {
    fn new(sources: &[Source], jsonl: bool) -> Progress {
        let on = io::stderr().is_terminal();
        let total_bytes = if jsonl { None } else { sources.iter().map(|s| s.size).sum::<Option<u64>>() };
        let now = Instant::now();
        Progress { on, start: now, last: now, total_bytes }
    }

    fn update(&mut self, t: &Totals, force: bool) {
        if !self.on || (!force && self.last.elapsed() < Duration::from_millis(200)) {
            return;
        }
        self.last = Instant::now();
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let mb = t.bytes as f64 / 1e6;
        let rate = mb / secs;
        let eta = match self.total_bytes {
            Some(total) if rate > 0.0 && total > t.bytes => {
                format!(", ETA {:.0} s", (total - t.bytes) as f64 / 1e6 / rate)
            }
            _ => String::new(),
        };
        eprint!("\r\x1b[2K{} documents, {mb:.1} MB, {rate:.1} MB/s{eta}", t.docs);
    }

    fn finish(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Counts a document once, at its last part.
fn account(t: &mut Totals, d: &Done) {
    if !d.last {
        return;
    }
    t.docs += 1;
    t.bytes += d.bytes;
    t.steps += d.steps;
    t.faults += d.faults;
    if d.failed {
        t.failed += 1;
    }
    for (l, n) in &d.labels {
        *t.labels.entry(l.clone()).or_default() += n;
    }
}

/// Runs the batch, writing to `out`. Returns the totals, or the write error
/// that stopped it (a closed pipe is not an error: `closed` is set).
pub fn run(cfg: &Config, out: &mut dyn Write) -> io::Result<Totals> {
    let start = Instant::now();
    let mut totals = Totals::default();
    let mut progress = Progress::new(&cfg.sources, cfg.jsonl.is_some());
    let result = if cfg.threads <= 1 {
        run_inline(cfg, out, &mut totals, &mut progress)
    } else {
        run_parallel(cfg, out, &mut totals, &mut progress)
    };
    progress.finish();
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => totals.closed = true,
        Err(e) => return Err(e),
        Ok(()) => {
            if let Err(e) = out.flush() {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    totals.closed = true;
                } else {
                    return Err(e);
                }
            }
        }
    }
    if let Some(f) = cfg.stats {
        print_stats(&totals, start.elapsed(), f, cfg.threads);
    }
    Ok(totals)
}

fn run_inline(cfg: &Config, out: &mut dyn Write, totals: &mut Totals, progress: &mut Progress) -> io::Result<()> {
    let mut scratch = exec::Scratch::new();
    let mut result = Ok(());
    read_all(cfg, |job| {
        process(cfg, job, &mut scratch, &mut |done| {
            account(totals, &done);
            result = write_done(cfg, out, &done);
            result.is_ok()
        });
        progress.update(totals, false);
        result.is_ok()
    });
    result
}

/// Writes one document's output, or a part of it, and counts the document as written at its end.
fn write_done(cfg: &Config, out: &mut dyn Write, done: &Done) -> io::Result<()> {
    out.write_all(&done.out)?;
    if done.last {
        cfg.control.written.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

fn run_parallel(cfg: &Config, out: &mut dyn Write, totals: &mut Totals, progress: &mut Progress) -> io::Result<()> {
    let in_flight = cfg.threads * 8 + 16;
    let (job_tx, job_rx) = sync_channel::<Job>(cfg.threads * 2);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = channel::<Done>();
    // A semaphore: the reader takes a token per document, the writer gives it back.
    let (tok_tx, tok_rx) = sync_channel::<()>(in_flight);
    for _ in 0..in_flight {
        let _ = tok_tx.try_send(());
    }
    std::thread::scope(|s| {
        let mut workers = 0;
        let mut refused = None;
        for i in 0..cfg.threads {
            let (done_tx, job_rx) = (done_tx.clone(), &job_rx);
            let spawned = std::thread::Builder::new().name(format!("trawl-worker-{i}")).spawn_scoped(s, move || {
                work(cfg, job_rx, done_tx);
            });
            match spawned {
                Ok(_) => workers += 1,
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        drop(done_tx);
        if workers == 0 {
            let e = refused.unwrap_or_else(|| io::Error::other("no worker thread"));
            return Err(io::Error::other(format!("cannot start a worker thread: {e}")));
        }
        let reader = std::thread::Builder::new().name("trawl-reader".into()).spawn_scoped(s, move || {
            read_all(cfg, |job| tok_rx.recv().is_ok() && job_tx.send(job).is_ok());
        });
        if let Err(e) = reader {
            // The reader's sender went with its closure: the workers see the end of the queue.
            return Err(io::Error::other(format!("cannot start the reader thread: {e}")));
        }
        let result = write_results(cfg, out, totals, progress, done_rx, tok_tx);
        if result.is_err() {
            // The reader may be blocked on a full queue: stop it, then empty
            // the queue until it has gone (it stops after its current document).
            cfg.control.stop();
            while job_rx.lock().is_ok_and(|rx| rx.recv().is_ok()) {}
        }
        result
    })
}

/// A worker: jobs from the shared queue until it ends or the writer has gone.
fn work(cfg: &Config, jobs: &Mutex<Receiver<Job>>, done: std::sync::mpsc::Sender<Done>) {
    let mut scratch = exec::Scratch::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let mut open = true;
        process(cfg, job, &mut scratch, &mut |d| {
            open = done.send(d).is_ok();
            open
        });
        if !open {
            return;
        }
    }
}

fn write_results(
    cfg: &Config,
    out: &mut dyn Write,
    totals: &mut Totals,
    progress: &mut Progress,
    done_rx: Receiver<Done>,
    tokens: SyncSender<()>,
) -> io::Result<()> {
    // Parts of documents after the one being written, by document.
    let mut pending: BTreeMap<u64, Vec<Done>> = BTreeMap::new();
    let mut next = 0u64;
    let mut write = |d: &Done, totals: &mut Totals| -> io::Result<()> {
        account(totals, d);
        write_done(cfg, out, d)?;
        if d.last {
            let _ = tokens.send(());
        }
        Ok(())
    };
    for done in done_rx {
        if !cfg.ordered || done.seq == next {
            write(&done, totals)?;
            if cfg.ordered && done.last {
                next += 1;
                // The documents after it that were waiting: written up to one still being extracted.
                while let Some(parts) = pending.remove(&next) {
                    let finished = parts.last().is_some_and(|d| d.last);
                    for d in &parts {
                        write(d, totals)?;
                    }
                    if !finished {
                        break;
                    }
                    next += 1;
                }
            }
        } else {
            pending.entry(done.seq).or_default().push(done);
        }
        progress.update(totals, false);
    }
    Ok(())
}

fn print_stats(t: &Totals, elapsed: Duration, f: StatsFormat, threads: usize) {
    let secs = elapsed.as_secs_f64();
    let mb = t.bytes as f64 / 1e6;
    let rate = if secs > 0.0 { mb / secs } else { 0.0 };
    let records: u64 = t.labels.values().sum();
    match f {
        StatsFormat::Json => {
            let v = serde_json::json!({"stats": {
                "documents": t.docs, "errors": t.failed, "records": records, "labels": t.labels,
                "MB": (mb * 1000.0).round() / 1000.0, "steps": t.steps, "value_faults": t.faults, "seconds": (secs * 1000.0).round() / 1000.0,
                "MB_per_s": (rate * 100.0).round() / 100.0, "threads": threads,
            }});
            eprintln!("{v}");
        }
        StatsFormat::Human => {
            eprintln!("documents: {} ({} with errors)", t.docs, t.failed);
            eprintln!("records:   {records}");
            eprintln!("steps:     {}", t.steps);
            if t.faults > 0 {
                eprintln!("values lost to overflow or division by zero: {}", t.faults);
            }
            for (label, n) in &t.labels {
                eprintln!("  {label:<16} {n}");
            }
            eprintln!(
                "text:      {mb:.1} MB in {secs:.2} s, {rate:.2} MB/s on {threads} thread{}",
                if threads == 1 { "" } else { "s" }
            );
        }
    }
}
