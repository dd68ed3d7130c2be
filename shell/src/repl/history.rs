//! The shell's history file (`$AUGER_HOME/history`): read into the line editor at start and
//! saved over after every statement, never so that a line the file held is lost.
//!
//! rustyline stops reading at the first line that is not UTF-8 and keeps only the lines before
//! it, and its next save writes only what it kept: one bad line would cost every line after
//! it. So a file that is not UTF-8 is read here, its bad bytes replaced by U+FFFD, and a file
//! that cannot be read at all is never saved over.

use std::path::{Path, PathBuf};

use rustyline::DefaultEditor;

/// The history file, and whether this shell may save over it.
pub(crate) struct HistoryFile {
    path: PathBuf,
    /// False when the file could not be read: saving would replace what it holds with this
    /// session's lines alone.
    writable: bool,
}

impl HistoryFile {
    /// Reads the history at `path` into `editor`; the warning, if any, is for the user.
    pub(crate) fn load(path: PathBuf, editor: &mut DefaultEditor) -> (Self, Option<String>) {
        let (writable, warning) = read(&path, editor);
        (Self { path, writable }, warning)
    }

    /// Saves the editor's history over the file, unless the file could not be read.
    pub(crate) fn save(&self, editor: &mut DefaultEditor) {
        if self.writable {
            let _ = editor.save_history(&self.path);
        }
    }
}

/// Reads the history at `path` into `editor`: whether the file may be saved over, and a
/// warning for the user.
fn read(path: &Path, editor: &mut DefaultEditor) -> (bool, Option<String>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (true, None),
        Err(e) => return unreadable(path, &e),
    };
    if std::str::from_utf8(&bytes).is_ok() {
        return match editor.load_history(path) {
            Ok(()) => (true, None),
            Err(e) => unreadable(path, &e),
        };
    }
    let text = String::from_utf8_lossy(&bytes);
    for entry in entries(&text) {
        let _ = editor.add_history_entry(entry);
    }
    let bad: Vec<String> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, line)| std::str::from_utf8(line).is_err())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    let warning = format!(
        "the history file {} is not UTF-8 in line {}: its other bytes are kept, the bad ones \
         become \u{FFFD}",
        path.display(),
        bad.join(", ")
    );
    (true, Some(warning))
}

fn unreadable(path: &Path, e: &dyn std::fmt::Display) -> (bool, Option<String>) {
    let warning = format!(
        "cannot read the history file {}: {e}; it is left as it is and this session's history \
         is not saved",
        path.display()
    );
    (false, Some(warning))
}

/// The entries of a history file as rustyline 18 writes and reads it: a `#V2` line first, then
/// one entry a line with line feeds and backslashes escaped (`\n`, `\\`); a file without the
/// `#V2` line (older rustyline) has one entry a line as it is. Empty lines are no entries, and
/// a line with any other escape is taken as it is.
fn entries(text: &str) -> Vec<String> {
    let mut lines = text.lines();
    let mut out = vec![];
    let v2 = match lines.next() {
        Some("#V2") => true,
        Some(first) => {
            out.push(first.to_string());
            false
        }
        None => false,
    };
    for line in lines.filter(|l| !l.is_empty()) {
        let entry = if v2 { unescape(line) } else { None };
        out.push(entry.unwrap_or_else(|| line.to_string()));
    }
    out.retain(|e| !e.is_empty());
    out
}

/// A V2 line's entry; `None` for an escape other than `\n` and `\\`.
fn unescape(line: &str) -> Option<String> {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_read_as_rustyline_writes_them() {
        let text =
            "#V2\nSELECT 1;\n\nSELECT 'a'\\nAS b;\nSELECT 'back\\\\slash';\nbad \\t escape\n";
        assert_eq!(
            entries(text),
            [
                "SELECT 1;",
                "SELECT 'a'\nAS b;",
                "SELECT 'back\\slash';",
                "bad \\t escape"
            ]
        );
        assert_eq!(entries("old\\n\nformat\n"), ["old\\n", "format"]);
        assert!(entries("").is_empty());
        assert!(entries("#V2\n").is_empty());
    }

    #[test]
    fn a_line_that_is_not_utf8_keeps_every_other_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history");
        let mut bytes = b"#V2\nSELECT 'before';\nSELECT '".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"';\nSELECT 'after'\\nAS a;\nSELECT 'last';\n");
        std::fs::write(&path, &bytes).unwrap();

        let mut editor = DefaultEditor::new().unwrap();
        let (history, warning) = HistoryFile::load(path.clone(), &mut editor);
        let warning = warning.unwrap();
        assert!(warning.contains("not UTF-8 in line 3"), "{warning}");
        editor.add_history_entry("SELECT 'new';").unwrap();
        history.save(&mut editor);

        let saved = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            saved,
            "#V2\nSELECT 'before';\nSELECT '\u{FFFD}\u{FFFD}';\nSELECT 'after'\\nAS a;\n\
             SELECT 'last';\nSELECT 'new';\n"
        );
    }
}
