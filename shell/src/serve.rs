//! `auger serve` and `auger user`.

use std::io::{BufRead, IsTerminal};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use auger_catalog::AugerHome;
use auger_flight_server::{AuthMode, Server, ServerConfig, TlsFiles, UsersFile};
use clap::{Args, Subcommand, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthArg {
    /// Anyone may connect (loopback only).
    None,
    /// User and password from the users file (`auger user add`).
    Password,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on [default: 127.0.0.1, or the config's].
    #[arg(long)]
    host: Option<IpAddr>,
    /// The port (0 lets the system choose; the log says which) [default: 31010].
    #[arg(long)]
    port: Option<u16>,
    /// A JSON server config (host, port, auth, tls, options); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// How clients log in [default: none, or the config's].
    #[arg(long, value_enum)]
    auth: Option<AuthArg>,
    /// The users file for --auth password [default: $AUGER_HOME/users.json].
    #[arg(long, value_name = "FILE")]
    users_file: Option<PathBuf>,
    /// Seconds a login token stays valid [default: 28800].
    #[arg(long, value_name = "SECONDS")]
    token_ttl: Option<u64>,
    /// The server's certificate chain (PEM); with --tls-key, clients connect with grpc+tls://.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Add a user (the password is asked for twice, or read from AUGER_PASSWORD).
    Add { name: String },
    /// Change a user's password.
    Passwd { name: String },
    /// Remove a user.
    Remove { name: String },
    /// List the users.
    List,
}

fn default_users_file(home: &AugerHome) -> PathBuf {
    home.root().join("users.json")
}

fn config_of(home: &AugerHome, args: ServeArgs) -> Result<ServerConfig, String> {
    let default_users = default_users_file(home);
    let mut config = match &args.config {
        Some(path) => ServerConfig::load(path, &default_users).map_err(|e| e.to_string())?,
        None => ServerConfig::default(),
    };
    if let Some(host) = args.host {
        config.host = host;
    }
    if let Some(port) = args.port {
        config.port = port;
    }
    match args.auth {
        Some(AuthArg::None) => config.auth = AuthMode::None,
        Some(AuthArg::Password) => {
            config.auth = AuthMode::Password {
                users_file: args.users_file.clone().unwrap_or(default_users),
            }
        }
        None => {
            if let (Some(file), AuthMode::Password { users_file }) =
                (&args.users_file, &mut config.auth)
            {
                *users_file = file.clone();
            }
        }
    }
    if let Some(ttl) = args.token_ttl {
        if ttl == 0 {
            return Err("--token-ttl must be more than 0".into());
        }
        config.token_ttl = Duration::from_secs(ttl);
    }
    if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
        config.tls = Some(TlsFiles { cert, key });
    }
    Ok(config)
}

pub fn serve(runtime: &tokio::runtime::Runtime, home: AugerHome, args: ServeArgs) -> ExitCode {
    let config = match config_of(&home, args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async move {
        let server = match Server::new(config, home) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::from(2);
            }
        };
        for warning in server.warnings() {
            eprintln!("Warning: {warning}");
        }
        let mut running = match server.start().await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::from(2);
            }
        };
        eprintln!("{}", running.describe());
        let stop = stop_signal();
        tokio::pin!(stop);
        tokio::select! {
            signal = &mut stop => {
                eprintln!(
                    "{signal}: shutting down, cancelling {} queries",
                    running.running_queries()
                );
            }
            r = running.wait() => {
                if let Err(e) = r {
                    eprintln!("Error: the server stopped: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        match running.shutdown().await {
            Ok(()) => {
                eprintln!("Stopped.");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("Error: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Resolves with the name of the signal that asks the server to stop.
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// A password from `AUGER_PASSWORD`, or typed at the terminal without echo, or (when input is
/// not a terminal) the first line of standard input.
pub fn password_from_env_or_prompt(prompt: &str) -> Result<String, String> {
    if let Ok(p) = std::env::var("AUGER_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(prompt)
            .map_err(|e| format!("cannot read a password: {e}"));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read a password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn new_password() -> Result<String, String> {
    if std::env::var("AUGER_PASSWORD").is_ok() || !std::io::stdin().is_terminal() {
        return password_from_env_or_prompt("");
    }
    let first = password_from_env_or_prompt("New password: ")?;
    let second = password_from_env_or_prompt("Again: ")?;
    if first != second {
        return Err("the two passwords differ".into());
    }
    Ok(first)
}

pub fn user(home: &AugerHome, users_file: Option<PathBuf>, action: UserAction) -> ExitCode {
    let path = users_file.unwrap_or_else(|| default_users_file(home));
    let users = UsersFile::new(path);
    let outcome = match action {
        UserAction::Add { name } => new_password()
            .and_then(|p| users.add(&name, &p).map_err(|e| e.to_string()))
            .map(|()| format!("User '{name}' added to {}.", show(users.path()))),
        UserAction::Passwd { name } => new_password()
            .and_then(|p| users.set_password(&name, &p).map_err(|e| e.to_string()))
            .map(|()| format!("Password of '{name}' changed.")),
        UserAction::Remove { name } => users
            .remove(&name)
            .map_err(|e| e.to_string())
            .map(|()| format!("User '{name}' removed.")),
        UserAction::List => users
            .names()
            .map_err(|e| e.to_string())
            .map(|names| names.join("\n")),
    };
    match outcome {
        Ok(message) => {
            if !message.is_empty() {
                println!("{message}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn show(path: &Path) -> String {
    path.display().to_string()
}
