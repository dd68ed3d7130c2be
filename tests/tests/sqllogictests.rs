//! Runs every `.slt` file under `tests/slt/` twice: on the embedded engine, and through a
//! Flight SQL client against a server the runner starts for each file.
//!
//! `cargo test -p auger-tests --test sqllogictests -- [--complete] [--embedded|--served] [FILTER...]`
//! `--complete` rewrites the expected output of the selected files (from the embedded run);
//! read the diff.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auger_tests::{EmbeddedDb, ServedDb};
use sqllogictest::{
    AsyncDB, MakeConnection, Runner, default_column_validator, default_normalizer,
    default_validator,
};

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            slt_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
    Ok(())
}

/// A runner whose files may use `$DATA_ABS` (the absolute path of `tests/data`) and `$DATA_REL`
/// (the same without its leading `/`, for `dfs.root`) after `control substitution on`.
fn with_paths<D: AsyncDB, M: MakeConnection<Conn = D>>(mut runner: Runner<D, M>) -> Runner<D, M> {
    let data = auger_tests::data_dir().to_string_lossy().into_owned();
    runner.set_var("DATA_REL".into(), data.trim_start_matches('/').to_string());
    runner.set_var("DATA_ABS".into(), data);
    runner
}

async fn run_file<D: AsyncDB, M: MakeConnection<Conn = D>>(
    mut runner: Runner<D, M>,
    file: &Path,
    complete: bool,
) -> Result<(), String> {
    let result = if complete {
        runner
            .update_test_file(
                file,
                " ",
                default_validator,
                default_normalizer,
                default_column_validator,
            )
            .await
            .map_err(|e| e.to_string())
    } else {
        runner
            .run_file_async(file)
            .await
            .map_err(|e| e.display(true).to_string())
    };
    runner.shutdown_async().await;
    result
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complete = args.iter().any(|a| a == "--complete");
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("slt");
    let mut files = vec![];
    if let Err(e) = slt_files(&root, &mut files) {
        eprintln!("cannot list {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    files.sort();
    files.retain(|f| {
        filters.is_empty()
            || filters
                .iter()
                .any(|flt| f.to_string_lossy().contains(flt.as_str()))
    });

    let embedded = !args.iter().any(|a| a == "--served");
    let served = !complete && !args.iter().any(|a| a == "--embedded");
    let (mut passed, mut failed) = (0, 0);
    for (mode, wanted) in [("embedded", embedded), ("served", served)] {
        if !wanted {
            continue;
        }
        for file in &files {
            let name = file
                .strip_prefix(&root)
                .unwrap_or(file)
                .display()
                .to_string();
            let result = if mode == "embedded" {
                let runner = with_paths(Runner::new(|| async { EmbeddedDb::new() }));
                run_file(runner, file, complete).await
            } else {
                let runner = with_paths(Runner::new(ServedDb::new));
                run_file(runner, file, complete).await
            };
            match result {
                Ok(()) => {
                    passed += 1;
                    println!("ok      {mode:8} {name}");
                }
                Err(e) => {
                    failed += 1;
                    println!("FAILED  {mode:8} {name}\n{e}\n");
                }
            }
        }
    }
    println!("sqllogictest: {passed} passed, {failed} failed");
    if failed == 0 && passed > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
