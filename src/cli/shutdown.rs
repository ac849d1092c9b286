//! Ending a batch on SIGINT or SIGTERM without losing finished work.
//!
//! The output goes through a [`SharedSink`], a buffered writer behind a lock
//! that one document's output is written under at a time. On a signal, a
//! watcher thread asks the run to stop ([`Control::stop`]): no further
//! document is read (JSON Lines already buffered still are), and those read
//! are extracted and written. When the reader is blocked on input that may
//! never come (a pipe held open upstream) and every document read has been
//! written, the watcher flushes the sink and exits with 128 + the signal's
//! number. When the run ends first, the
//! CLI returns the same code itself. A second signal ends the process at once.

use super::batch::Control;
use std::io::{self, Write};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A writer shared with the signal watcher; one `write_all` is one locked write.
#[derive(Clone)]
pub struct SharedSink(Arc<Mutex<Box<dyn Write + Send>>>);

impl SharedSink {
    /// Wraps a writer.
    pub fn new(w: Box<dyn Write + Send>) -> SharedSink {
        SharedSink(Arc::new(Mutex::new(w)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn Write + Send>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Write for SharedSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.lock().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock().flush()
    }
}

/// The signal that stopped the run, if any (0: none).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The exit code for a run a signal stopped: 128 + its number.
pub fn interrupted() -> Option<u8> {
    match SIGNAL.load(Ordering::SeqCst) {
        0 => None,
        n => Some((128 + n).min(255) as u8),
    }
}

/// Starts the watcher. Without it (signals cannot be registered) the
/// default action applies: the process ends at once.
pub fn watch(control: Arc<Control>, sink: SharedSink) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    let spawned = std::thread::Builder::new().name("trawl-signals".into()).spawn(move || {
        let Some(sig) = signals.forever().next() else { return };
        SIGNAL.store(sig, Ordering::SeqCst);
        control.stop();
        // A second signal ends the process at once.
        while !control.idle() && signals.pending().next().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut sink = sink;
        let _ = sink.flush();
        std::process::exit(128 + sig);
    });
    if spawned.is_err() {
        eprintln!("trawl: cannot start the signal watcher; an interrupt ends the run at once");
    }
}
