//! Running statements: results to stdout, errors and timings to stderr, Ctrl-C cancels the
//! running query, and a progress line appears when a query takes more than a second.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auger_common::error::user_message;
use auger_engine::Session;
use futures::StreamExt;

use crate::output::{OutputFormat, ResultWriter};
use crate::script::split_statements;

pub struct RunOptions {
    pub format: OutputFormat,
    pub quiet: bool,
}

/// Why a statement did not complete.
pub enum Failure {
    Error(String),
    Cancelled,
}

/// Runs every statement of a script; stops at the first failure.
pub async fn run_script(session: &Session, text: &str, options: &RunOptions) -> ExitCode {
    let (mut statements, rest) = split_statements(text);
    if !crate::script::is_only_comments(&rest) {
        statements.push(rest.trim().to_string());
    }
    for sql in statements {
        match run_statement(session, &sql, options).await {
            Ok(()) => {}
            Err(Failure::Error(message)) => {
                eprintln!("Error: {message}");
                return ExitCode::FAILURE;
            }
            Err(Failure::Cancelled) => {
                eprintln!("Query cancelled.");
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}

pub async fn run_statement(
    session: &Session,
    sql: &str,
    options: &RunOptions,
) -> Result<(), Failure> {
    let started = Instant::now();
    let rows = Arc::new(AtomicUsize::new(0));
    let progress = spawn_progress(Arc::clone(&rows), started);
    let outcome = tokio::select! {
        r = execute(session, sql, options.format, &rows) => r.map_err(Failure::Error),
        _ = tokio::signal::ctrl_c() => Err(Failure::Cancelled),
    };
    if let Some(p) = progress {
        p.abort();
        let _ = p.await;
        if started.elapsed() >= Duration::from_secs(1) {
            eprint!("\r\x1b[2K");
        }
    }
    if let Ok(count) = &outcome
        && !options.quiet
    {
        let noun = if *count == 1 { "row" } else { "rows" };
        eprintln!(
            "{count} {noun} selected ({:.3} seconds)",
            started.elapsed().as_secs_f64()
        );
    }
    outcome.map(|_| ())
}

async fn execute(
    session: &Session,
    sql: &str,
    format: OutputFormat,
    rows: &AtomicUsize,
) -> Result<usize, String> {
    let mut output = session.execute(sql).await.map_err(|e| user_message(&e))?;
    let stdout = std::io::stdout();
    let mut writer = ResultWriter::new(format, stdout.lock(), Arc::clone(&output.schema));
    while let Some(batch) = output.stream.next().await {
        let batch = batch.map_err(|e| user_message(&e))?;
        rows.fetch_add(batch.num_rows(), Ordering::Relaxed);
        writer.write(&batch).map_err(|e| e.to_string())?;
    }
    writer.finish().map_err(|e| e.to_string())?;
    Ok(rows.load(Ordering::Relaxed))
}

/// After a second, shows rows so far and elapsed time on stderr (when it is a terminal).
fn spawn_progress(rows: Arc<AtomicUsize>, started: Instant) -> Option<tokio::task::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let bar = indicatif::ProgressBar::new_spinner();
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        loop {
            bar.set_message(format!(
                "running: {} rows, {:.1}s (Ctrl-C cancels)",
                rows.load(Ordering::Relaxed),
                started.elapsed().as_secs_f64()
            ));
            bar.tick();
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }))
}
