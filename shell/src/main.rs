//! `auger`: the shell on the embedded engine.

mod output;
mod repl;
mod run;
mod script;

use std::path::PathBuf;
use std::process::ExitCode;

use auger_catalog::AugerHome;
use auger_engine::Engine;
use clap::Parser;

use output::OutputFormat;

/// Auger: schema-free SQL over files, in Drill's dialect.
#[derive(Debug, Parser)]
#[command(name = "auger", version, about)]
struct Args {
    /// Run these statements (separated by ';') and exit.
    #[arg(
        short = 'e',
        long = "execute",
        value_name = "SQL",
        conflicts_with = "file"
    )]
    execute: Option<String>,

    /// Run the statements of this file and exit.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,

    /// How results are printed.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,

    /// Print no row counts or timings.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let engine = match Engine::new(AugerHome::from_env()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = run::install_interrupt_handler() {
        eprintln!("Warning: Ctrl-C will not cancel queries: {e}");
    }
    for warning in engine.warnings() {
        eprintln!("Warning: {warning}");
    }
    let session = engine.session();
    let options = run::RunOptions {
        format: args.format,
        quiet: args.quiet,
    };

    let script = match (&args.execute, &args.file) {
        (Some(sql), _) => Some(sql.clone()),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                eprintln!("Error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    match script {
        Some(text) => runtime.block_on(run::run_script(&session, &text, &options)),
        None => repl::run(&runtime, &engine, &session, &options),
    }
}
