//! Helpers shared by the process-level tests: the `auger` binary and a server process.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn auger() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auger"));
    cmd.env("RUST_BACKTRACE", "1").env_remove("AUGER_PASSWORD");
    cmd
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A server process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    pub url: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl ServerProcess {
    pub fn start(home: &Path, args: &[&str]) -> Self {
        let mut child = auger()
            .arg("serve")
            .args(["--port", "0"])
            .args(args)
            .env("AUGER_HOME", home)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("auger serve starts");
        let stderr = child.stderr.take().unwrap();
        let (send, log) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = log.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no 'serving' line from auger serve");
            };
            if let Some(at) = line.find("serving Arrow Flight SQL on ") {
                let url = line[at + "serving Arrow Flight SQL on ".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .to_string();
                return Self { child, url, log };
            }
        }
    }

    /// A server with password logins (users of `home`) over TLS with `cert`.
    pub fn start_secure(home: &Path, cert: &auger_tests::TestCertificate) -> Self {
        let server = Self::start(
            home,
            &[
                "--auth",
                "password",
                "--tls-cert",
                cert.cert.to_str().unwrap(),
                "--tls-key",
                cert.key.to_str().unwrap(),
            ],
        );
        assert!(server.url.starts_with("grpc+tls://"), "{}", server.url);
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory now and at its peak, in bytes (Linux).
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    pub fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit; returns its status and the rest of its log.
    pub fn wait(mut self) -> (std::process::ExitStatus, String) {
        let status = self.child.wait().unwrap();
        let rest: Vec<String> = self.log.try_iter().collect();
        (status, rest.join("\n"))
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
