//! `auger`: the shell on the embedded engine or on a server (`--connect`), the server itself
//! (`auger serve`), and its users (`auger user`).

// std's `eprintln!` and `println!` panic when the stream is closed (`auger ... 2>&1 | head -1`
// closes both once `head` has its line). The shell's messages are best effort: these take their
// names, so every line the shell prints fails quietly instead. Results are written by `output`,
// which ends the run quietly on a closed stdout.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! eprint {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}
macro_rules! println {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod backend;
mod output;
mod repl;
mod run;
mod script;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use auger_catalog::AugerHome;
use auger_engine::Engine;
use auger_flight_server::client::{ConnectOptions, RemoteSession};
use clap::{Parser, Subcommand};

use backend::Backend;
use output::OutputFormat;

/// mimalloc rather than the system allocator: hash tables, sorts and decoders allocate and free
/// many buffers from several threads at once, where glibc's arenas are slower and keep more
/// memory (docs/architecture.md, "Allocator").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Auger: schema-free SQL over files, in Drill's dialect.
#[derive(Debug, Parser)]
#[command(name = "auger", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,

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

    /// Run statements on a server instead of the embedded engine: grpc://host:31010 or
    /// grpc+tls://host:31010.
    #[arg(long, value_name = "URL")]
    connect: Option<String>,

    /// The user to log in as on the server (the password is asked for, or read from
    /// AUGER_PASSWORD).
    #[arg(long, value_name = "USER", requires = "connect")]
    user: Option<String>,

    /// The certificate authority (PEM) that signed the server's certificate, for grpc+tls://
    /// when the system does not already trust it.
    #[arg(long, value_name = "FILE", requires = "connect")]
    tls_ca: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve Arrow Flight SQL (Drill's client port, 31010) to programs and remote shells.
    Serve(serve::ServeArgs),
    /// Manage the users of `auger serve --auth password`.
    User {
        #[command(subcommand)]
        action: serve::UserAction,
        /// The users file (default: $AUGER_HOME/users.json).
        #[arg(long, value_name = "FILE", global = true)]
        users_file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    // Planning has a stack of its own (auger-engine's complexity bounds); executing a deeply
    // nested expression recurses on the worker that runs it, so workers get more than tokio's
    // 2 MiB. Only the pages used are committed.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(16 << 20)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let home = AugerHome::from_env();
    match args.command {
        Some(Command::Serve(serve_args)) => {
            let code = serve::serve(&runtime, home, serve_args);
            // Every query was cancelled and every client told; a cancelled operator may still
            // be inside one long poll (it took SIGTERM 11 s to exit), which nobody waits for.
            runtime.shutdown_background();
            return code;
        }
        Some(Command::User { action, users_file }) => {
            return serve::user(&home, users_file, action);
        }
        None => {}
    }

    let backend = match &args.connect {
        Some(url) => {
            let password = match &args.user {
                Some(user) => {
                    match serve::password_from_env_or_prompt(&format!("Password for {user}: ")) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            eprintln!("Error: {e}");
                            return ExitCode::from(2);
                        }
                    }
                }
                None => None,
            };
            let options = ConnectOptions {
                url: url.clone(),
                user: args.user.clone(),
                password,
                tls_ca: args.tls_ca.clone(),
            };
            match runtime.block_on(RemoteSession::connect(&options)) {
                Ok(session) => Backend::remote(session),
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
        None => {
            let engine = match Engine::new(home.clone()) {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::from(2);
                }
            };
            for warning in engine.warnings() {
                eprintln!("Warning: {warning}");
            }
            Backend::Embedded(engine.session())
        }
    };
    if let Err(e) = run::install_interrupt_handler() {
        eprintln!("Warning: Ctrl-C will not cancel queries: {e}");
    }
    let options = run::RunOptions {
        format: args.format,
        quiet: args.quiet,
    };

    let script = match (&args.execute, &args.file) {
        (Some(sql), _) => Some((sql.clone(), false)),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(text) => Some((text, true)),
            Err(e) => {
                eprintln!("Error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
        (None, None) => None,
    };
    let code = match script {
        Some((text, from_file)) => {
            runtime.block_on(run::run_script(&backend, &text, from_file, &options))
        }
        None => repl::run(&runtime, &home, &backend, &options),
    };
    // A query cancelled with Ctrl-C may still be inside one long poll of an operator (a nested
    // loop join over millions of rows); dropping the runtime would wait for it to return.
    // Every statement has finished or been cancelled by now, so nothing is left to wait for.
    runtime.shutdown_background();
    code
}
