//! Runs `tests/python/test_flight_clients.py` (ADBC Flight SQL driver and pyarrow.flight from
//! PyPI) against two `auger serve` processes: one open on loopback, one with password logins
//! and TLS. `tests/run` installs the Python packages; when `CI` is set, missing ones fail the
//! test instead of skipping it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::{ServerProcess, auger, text};

fn python_has_clients() -> bool {
    Command::new("python3")
        .args(["-c", "import adbc_driver_flightsql.dbapi, pyarrow.flight"])
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn python_clients_against_auger_serve() {
    if !python_has_clients() {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 with adbc-driver-flightsql and pyarrow is needed (tests/run installs them)"
        );
        eprintln!("skipped: python3 lacks adbc-driver-flightsql or pyarrow");
        return;
    }
    // The fixtures plugin gives the open server a writable workspace of its own
    // (`fixtures.scratch`), so nothing is written to the shared dfs.tmp.
    let home = auger_tests::fixture_home().unwrap();
    let open = ServerProcess::start(home.path(), &[]);

    let secure_home = tempfile::tempdir().unwrap();
    let cert = auger_tests::test_certificate(secure_home.path());
    let add = auger()
        .args(["user", "add", "ada"])
        .env("AUGER_HOME", secure_home.path())
        .env("AUGER_PASSWORD", "analytical engine")
        .output()
        .unwrap();
    assert!(add.status.success(), "{}", text(&add.stderr));
    let secure = ServerProcess::start_secure(secure_home.path(), &cert);

    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("python")
        .join("test_flight_clients.py");
    let out = Command::new("python3")
        .arg(&script)
        .env("AUGER_URL", &open.url)
        .env("AUGER_PID", open.pid().to_string())
        .env("AUGER_SECURE_URL", &secure.url)
        .env("AUGER_CA", &cert.ca)
        .env("AUGER_USER", "ada")
        .env("AUGER_PASSWORD", "analytical engine")
        .output()
        .unwrap();
    println!("{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    println!("{stderr}");
    assert!(out.status.success(), "python clients failed:\n{stderr}");
}
