//! Running statements: results to stdout, errors and timings to stderr, Ctrl-C cancels the
//! running query, and a progress line appears when a query takes more than a second.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::backend::Backend;
use crate::output::{OutputError, OutputFormat, ResultWriter};
use crate::script::script_statements;

pub struct RunOptions {
    pub format: OutputFormat,
    pub quiet: bool,
}

/// Why a statement did not complete.
pub enum Failure {
    Error(String),
    Cancelled,
    /// Whoever read the results has gone (`auger ... | head -1`): nothing more can be shown,
    /// and that is no error.
    OutputClosed,
}

/// Runs every statement of a script; stops at the first failure. The error of a statement of
/// a file, or of one of several, says which statement it was and the line it starts on.
pub async fn run_script(
    backend: &Backend,
    text: &str,
    from_file: bool,
    options: &RunOptions,
) -> ExitCode {
    let statements = script_statements(text);
    let locate = from_file || statements.len() > 1;
    for (number, statement) in (1..).zip(&statements) {
        match run_statement(backend, &statement.sql, options).await {
            Ok(()) => {}
            Err(Failure::Error(message)) if locate => {
                eprintln!(
                    "Error in statement {number} (line {}): {message}",
                    statement.line
                );
                return ExitCode::FAILURE;
            }
            Err(Failure::Error(message)) => {
                eprintln!("Error: {message}");
                return ExitCode::FAILURE;
            }
            Err(Failure::Cancelled) => {
                eprintln!("Query cancelled.");
                return ExitCode::FAILURE;
            }
            Err(Failure::OutputClosed) => return ExitCode::SUCCESS,
        }
    }
    ExitCode::SUCCESS
}

pub async fn run_statement(
    backend: &Backend,
    sql: &str,
    options: &RunOptions,
) -> Result<(), Failure> {
    let started = Instant::now();
    let rows = Arc::new(AtomicUsize::new(0));
    let interrupted = interrupts().notified();
    let progress = Progress::start(Arc::clone(&rows), started);
    let outcome = tokio::select! {
        r = execute(backend, sql, options.format, &rows) => r,
        _ = interrupted => Err(Failure::Cancelled),
    };
    drop(progress);
    if matches!(outcome, Err(Failure::Cancelled | Failure::OutputClosed)) {
        backend.cancel_running().await;
    }
    if let Ok((count, skipped)) = &outcome
        && !options.quiet
    {
        let noun = if *count == 1 { "row" } else { "rows" };
        let skipped = match skipped {
            0 => String::new(),
            1 => "; 1 invalid record skipped".to_string(),
            n => format!("; {n} invalid records skipped"),
        };
        eprintln!(
            "{count} {noun} selected ({:.3} seconds){skipped}",
            started.elapsed().as_secs_f64()
        );
    }
    outcome.map(|_| ())
}

async fn execute(
    backend: &Backend,
    sql: &str,
    format: OutputFormat,
    rows: &AtomicUsize,
) -> Result<(usize, usize), Failure> {
    let mut output = backend.execute(sql).await.map_err(Failure::Error)?;
    let stdout = std::io::stdout();
    let mut writer = ResultWriter::new(format, stdout.lock(), Arc::clone(&output.schema));
    let written = |r: Result<(), OutputError>| {
        r.map_err(|e| {
            if e.is_closed_output() {
                Failure::OutputClosed
            } else {
                Failure::Error(e.to_string())
            }
        })
    };
    while let Some(batch) = output.batches.next().await {
        let batch = batch.map_err(Failure::Error)?;
        rows.fetch_add(batch.num_rows(), Ordering::Relaxed);
        written(writer.write(&batch))?;
    }
    written(writer.finish())?;
    Ok((rows.load(Ordering::Relaxed), output.skipped_records()))
}

/// Ctrl-C while a statement runs. The handler runs on a thread of its own and wakes the
/// statement's `select!` directly: it does not depend on a runtime worker being free, and
/// DataFusion may keep every worker busy for a long time inside one operator.
fn interrupts() -> &'static tokio::sync::Notify {
    static NOTIFY: OnceLock<tokio::sync::Notify> = OnceLock::new();
    NOTIFY.get_or_init(tokio::sync::Notify::new)
}

/// Installs the Ctrl-C handler; returns why when it cannot.
pub fn install_interrupt_handler() -> Result<(), String> {
    ctrlc::set_handler(|| interrupts().notify_waiters()).map_err(|e| e.to_string())
}

/// After a second, shows rows so far and elapsed time on one line of stderr, redrawn five
/// times a second, when stderr is a terminal. It draws from a thread of its own, so it keeps
/// moving however busy the runtime is; dropping it stops it and clears the line.
struct Progress {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<bool>>,
}

impl Progress {
    fn start(rows: Arc<AtomicUsize>, started: Instant) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self {
                stop: None,
                thread: None,
            };
        }
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            const SPINNER: [char; 4] = ['|', '/', '-', '\\'];
            let mut wait = Duration::from_secs(1);
            let mut drawn = false;
            for tick in 0usize.. {
                match stopped.recv_timeout(wait) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{} running: {} rows, {:.1}s (Ctrl-C cancels)",
                    SPINNER[tick % SPINNER.len()],
                    rows.load(Ordering::Relaxed),
                    started.elapsed().as_secs_f64()
                );
                let _ = err.flush();
                drawn = true;
                wait = Duration::from_millis(200);
            }
            drawn
        });
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().unwrap_or(false)
        {
            eprint!("\r\x1b[2K");
        }
    }
}
