//! The interactive shell in a pseudo-terminal, as a user types into it: multi-line statements,
//! help, a progress line and Ctrl-C on a long query, history kept across runs, quit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use rexpect::session::{PtySession, spawn_command};

const TIMEOUT_MS: u64 = 60_000;

fn shell(home: &std::path::Path) -> PtySession {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auger"));
    cmd.env("AUGER_HOME", home).env("TERM", "xterm");
    let mut p = spawn_command(cmd, Some(TIMEOUT_MS)).expect("the shell starts in a pty");
    p.exp_string("Type !help for help").unwrap();
    p.exp_string("auger> ").unwrap();
    p
}

#[test]
fn multi_line_statements_help_and_quit() {
    let home = tempfile::tempdir().unwrap();
    let mut p = shell(home.path());

    // A statement runs when a line ends it with ';', whatever lines came before.
    p.send_line("SELECT 40").unwrap();
    p.exp_string("   . > ").unwrap();
    p.send_line("  + 2 AS answer;").unwrap();
    p.exp_string("| answer |").unwrap();
    p.exp_string("| 42     |").unwrap();
    p.exp_regex(r"1 row selected \(\d+\.\d{3} seconds\)")
        .unwrap();
    p.exp_string("auger> ").unwrap();

    // Two statements on one line both run.
    p.send_line("SELECT 'a' AS x; SELECT 'b' AS y;").unwrap();
    p.exp_string("| a |").unwrap();
    p.exp_string("| b |").unwrap();
    p.exp_string("auger> ").unwrap();

    // An error leaves the shell running.
    p.send_line("SELECT * FROM dfs.nowhere.`x.csv`;").unwrap();
    p.exp_string("Error: ").unwrap();
    p.exp_string("auger> ").unwrap();

    p.send_line("!help").unwrap();
    p.exp_string("Ctrl-C cancels the running query").unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("\\?").unwrap();
    p.exp_string("!quit, !exit, \\q").unwrap();
    p.exp_string("auger> ").unwrap();

    p.send_line("!quit").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn ctrl_c_cancels_the_query_not_the_shell() {
    let home = tempfile::tempdir().unwrap();
    let mut p = shell(home.path());

    // Long enough to still be running when Ctrl-C comes, and to be inside one long poll of
    // its nested loop join (a batch against ten million rows) when the shell is left below:
    // leaving must not wait for that poll to return.
    p.send_line(
        "SELECT COUNT(*) FROM range(10000000) a, range(10000000) b WHERE a.value + b.value = 7;",
    )
    .unwrap();
    // After a second the progress line appears.
    p.exp_string("(Ctrl-C cancels)").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("Query cancelled.").unwrap();
    p.exp_string("auger> ").unwrap();

    // The shell is still there and answers.
    p.send_line("SELECT 7 AS seven;").unwrap();
    p.exp_string("| 7     |").unwrap();
    p.exp_string("auger> ").unwrap();

    // Ctrl-C at the prompt drops the half-typed statement.
    p.send_line("SELECT 'never'").unwrap();
    p.exp_string("   . > ").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("SELECT 'fresh' AS s;").unwrap();
    p.exp_string("| fresh |").unwrap();
    p.exp_string("auger> ").unwrap();

    // Ctrl-D leaves at once, though the cancelled join may still be computing.
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn history_is_kept_in_the_home_directory() {
    let home = tempfile::tempdir().unwrap();
    let mut p = shell(home.path());
    p.send_line("SELECT 'remember me'").unwrap();
    p.exp_string("   . > ").unwrap();
    p.send_line("AS r;").unwrap();
    p.exp_string("| remember me |").unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("!quit").unwrap();
    p.exp_eof().unwrap();

    let history = std::fs::read_to_string(home.path().join("history")).unwrap();
    assert!(history.contains("SELECT 'remember me'"), "{history}");

    // A new shell recalls it with the up arrow (twice: the last entry is `!quit`).
    let mut p = shell(home.path());
    p.send("\x1b[A").unwrap();
    p.send("\x1b[A").unwrap();
    p.send_line("").unwrap();
    p.exp_string("| remember me |").unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("!quit").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn a_history_line_that_is_not_utf8_loses_no_other_line() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("history");
    let mut bytes = b"#V2\nSELECT 'first' AS a;\nSELECT '".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"' AS bad;\nSELECT 'second'\\nAS b;\nSELECT 'third' AS c;\n");
    std::fs::write(&path, &bytes).unwrap();

    let mut p = shell(home.path());
    // The lines after the bad one are there to recall: the last one is `third`.
    p.send("\x1b[A").unwrap();
    p.send_line("").unwrap();
    p.exp_string("| third |").unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("SELECT 'fourth' AS d;").unwrap();
    p.exp_string("| fourth |").unwrap();
    p.exp_string("auger> ").unwrap();
    p.send_line("!quit").unwrap();
    p.exp_eof().unwrap();

    let history = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
    for line in [
        "SELECT 'first' AS a;",
        "SELECT '\u{FFFD}\u{FFFD}' AS bad;",
        "SELECT 'second'\\nAS b;",
        "SELECT 'third' AS c;",
        "SELECT 'fourth' AS d;",
    ] {
        assert!(history.contains(line), "{line} is lost: {history}");
    }
}
