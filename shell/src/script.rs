//! Splits SQL text into statements at `;`, ignoring semicolons inside quotes and comments.

#[derive(Clone, Copy, PartialEq)]
enum State {
    Normal,
    Quoted(char),
    LineComment,
    BlockComment,
}

/// One statement of a script, and where it starts, for messages about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptStatement {
    /// The statement's text, without its `;`.
    pub sql: String,
    /// The 1-based line of the script its SQL starts on (after any comments before it).
    pub line: usize,
}

/// The complete statements in `text` (without their `;`), and what follows the last `;`
/// (an unfinished statement, possibly only whitespace or comments).
pub fn split_statements(text: &str) -> (Vec<String>, String) {
    let (ranges, rest) = statement_ranges(text);
    let statements = ranges
        .into_iter()
        .map(|range| text[range].trim())
        .filter(|statement| !is_only_comments(statement))
        .map(str::to_string)
        .collect();
    (statements, text[rest..].to_string())
}

/// Every statement of a whole script, the text after its last `;` included, each with the line
/// it starts on.
pub fn script_statements(text: &str) -> Vec<ScriptStatement> {
    let (mut ranges, rest) = statement_ranges(text);
    ranges.push(rest..text.len());
    ranges
        .into_iter()
        .filter_map(|range| {
            let start = range.start;
            let piece = &text[range];
            let sql = after_comments(piece);
            if sql.is_empty() {
                return None;
            }
            let offset = start + (piece.len() - sql.len());
            Some(ScriptStatement {
                sql: piece.trim().to_string(),
                line: 1 + text[..offset].matches('\n').count(),
            })
        })
        .collect()
}

/// The byte ranges of the text before each `;` (the `;` left out), and where the text after
/// the last `;` starts.
fn statement_ranges(text: &str) -> (Vec<std::ops::Range<usize>>, usize) {
    let mut ranges = vec![];
    let mut state = State::Normal;
    let mut start = 0;
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (pos, c) = chars[i];
        let next = chars.get(i + 1).map(|(_, c)| *c);
        match state {
            State::Normal => match c {
                '\'' | '"' | '`' => state = State::Quoted(c),
                '-' if next == Some('-') => state = State::LineComment,
                '/' if next == Some('*') => {
                    state = State::BlockComment;
                    i += 1;
                }
                ';' => {
                    ranges.push(start..pos);
                    start = pos + 1;
                }
                _ => {}
            },
            State::Quoted(q) => {
                if c == q {
                    // A doubled quote is an escaped quote, not the end.
                    if next == Some(q) {
                        i += 1;
                    } else {
                        state = State::Normal;
                    }
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Normal;
                }
            }
            State::BlockComment => {
                if c == '*' && next == Some('/') {
                    state = State::Normal;
                    i += 1;
                }
            }
        }
        i += 1;
    }
    (ranges, start)
}

/// True when the text holds no SQL, only whitespace and comments.
pub fn is_only_comments(text: &str) -> bool {
    after_comments(text).is_empty()
}

/// The text from its first character that is neither whitespace nor inside a comment; empty
/// when there is none (an unclosed `/*` runs to the end).
fn after_comments(text: &str) -> &str {
    let mut rest = text.trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map(|(_, r)| r)
                .unwrap_or("")
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.split_once("*/") {
                Some((_, r)) => rest = r.trim_start(),
                None => return "",
            }
        } else {
            return rest;
        }
    }
}

#[cfg(test)]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_quotes_and_comments() {
        let (stmts, rest) = split_statements(
            "SELECT ';' AS a; -- a comment; still\nSELECT `x;y` FROM t /* ; */ ;\nSELECT 'it''s;'; SELECT 2",
        );
        assert_eq!(
            stmts,
            vec![
                "SELECT ';' AS a",
                "-- a comment; still\nSELECT `x;y` FROM t /* ; */",
                "SELECT 'it''s;'",
            ]
        );
        assert_eq!(rest.trim(), "SELECT 2");
    }

    #[test]
    fn comments_only() {
        assert!(is_only_comments("  -- x\n /* y */ "));
        assert!(!is_only_comments("-- x\nSELECT 1"));
        let (stmts, _) = split_statements("-- nothing;\n;");
        assert!(stmts.is_empty(), "{stmts:?}");
    }
}
