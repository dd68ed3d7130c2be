//! The storage configuration Auger starts with when the home directory has none.

use std::path::PathBuf;

use serde_json::json;

/// The sample data sets: `$AUGER_SAMPLES`, else the `sample-data` directory of the source tree
/// this binary was built from.
pub fn samples_dir() -> PathBuf {
    match std::env::var_os("AUGER_SAMPLES") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../sample-data")),
    }
}

fn absolute(p: PathBuf) -> String {
    std::fs::canonicalize(&p)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

/// Drill's default `dfs` config plus the `samples` workspace (headerless CSV, as Drill reads
/// `.csv`) and `pumps` (the pump CSV files, whose first line is a header). `tmp`, the writable
/// workspace, is `tmp_dir` (`$AUGER_HOME/tmp`, private to the user), not the system's shared
/// temporary directory that Drill uses.
pub fn dfs_config(tmp_dir: &std::path::Path) -> serde_json::Value {
    let samples = samples_dir();
    json!({
        "type": "file",
        "connection": "file:///",
        "workspaces": {
            "root": {"location": "/", "writable": false, "defaultInputFormat": null},
            "tmp": {"location": absolute(tmp_dir.to_path_buf()), "writable": true, "defaultInputFormat": null},
            "samples": {"location": absolute(samples.clone()), "writable": false, "defaultInputFormat": null},
            "pumps": {
                "location": absolute(samples.join("pumps")),
                "writable": false,
                "defaultInputFormat": null,
                "formats": {"csv": {"type": "text", "extensions": ["csv"], "extractHeader": true}}
            }
        },
        "enabled": true
    })
}
