//! The interactive shell: multi-line statements ending in `;`, history in the home directory,
//! `!help`, `!quit`.

mod history;

use std::process::ExitCode;

use auger_catalog::AugerHome;
use rustyline::DefaultEditor;
use rustyline::error::ReadlineError;

use crate::backend::Backend;
use crate::run::{Failure, RunOptions, run_statement};
use crate::script::{is_only_comments, split_statements};
use history::HistoryFile;

const HELP: &str = "\
Statements end with ';' and may span lines. Examples:
  SHOW SCHEMAS;
  USE dfs.samples;
  SELECT columns[0], columns[1] FROM `customers.all.csv` LIMIT 5;
  SELECT * FROM dfs.pumps.`sensordata.csv` LIMIT 5;
Shell commands:
  !help, \\?        this help
  !quit, !exit, \\q leave the shell (Ctrl-D works too)
Ctrl-C cancels the running query; at the prompt it clears the current input.";

pub fn run(
    runtime: &tokio::runtime::Runtime,
    home: &AugerHome,
    backend: &Backend,
    options: &RunOptions,
) -> ExitCode {
    let mut editor = match DefaultEditor::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("Error: cannot start the line editor: {e}");
            return ExitCode::from(2);
        }
    };
    let history = home.history_file();
    if let Some(dir) = history.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let (history, warning) = HistoryFile::load(history, &mut editor);
    if let Some(warning) = warning {
        eprintln!("Warning: {warning}");
    }
    println!(
        "Auger {} — schema-free SQL over files. Type !help for help, !quit to leave.",
        env!("CARGO_PKG_VERSION")
    );

    let mut buffer = String::new();
    loop {
        let prompt = if buffer.trim().is_empty() {
            "auger> "
        } else {
            "   . > "
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("Error: {e}");
                return ExitCode::FAILURE;
            }
        };
        if buffer.trim().is_empty() {
            match line.trim() {
                "!quit" | "!exit" | "\\q" | "quit" | "exit" => {
                    let _ = editor.add_history_entry(line.trim());
                    break;
                }
                "!help" | "\\?" | "help" => {
                    let _ = editor.add_history_entry(line.trim());
                    println!("{HELP}");
                    continue;
                }
                other if other.starts_with('!') => {
                    eprintln!("Unknown command {other}; try !help");
                    continue;
                }
                _ => {}
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        let (statements, rest) = split_statements(&buffer);
        if statements.is_empty() {
            if is_only_comments(&buffer) && !buffer.contains(';') {
                continue;
            }
            if !buffer.contains(';') {
                continue;
            }
        }
        let entry = buffer.trim().to_string();
        let _ = editor.add_history_entry(entry.as_str());
        history.save(&mut editor);
        buffer = rest;
        if is_only_comments(&buffer) {
            buffer.clear();
        }
        for sql in statements {
            match runtime.block_on(run_statement(backend, &sql, options)) {
                Ok(()) => {}
                Err(Failure::Error(message)) => eprintln!("Error: {message}"),
                Err(Failure::Cancelled) => eprintln!("Query cancelled."),
                Err(Failure::OutputClosed) => {
                    history.save(&mut editor);
                    return ExitCode::SUCCESS;
                }
            }
        }
    }
    history.save(&mut editor);
    ExitCode::SUCCESS
}
