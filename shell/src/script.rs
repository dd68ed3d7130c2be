//! Splits SQL text into statements at `;`, ignoring semicolons inside quotes and comments.

#[derive(Clone, Copy, PartialEq)]
enum State {
    Normal,
    Quoted(char),
    LineComment,
    BlockComment,
}

/// The complete statements in `text` (without their `;`), and what follows the last `;`
/// (an unfinished statement, possibly only whitespace or comments).
pub fn split_statements(text: &str) -> (Vec<String>, String) {
    let mut statements = vec![];
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
                    let statement = text[start..pos].trim();
                    if !statement.is_empty() && !is_only_comments(statement) {
                        statements.push(statement.to_string());
                    }
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
    (statements, text[start..].to_string())
}

/// True when the text holds no SQL, only whitespace and comments.
pub fn is_only_comments(text: &str) -> bool {
    let mut rest = text.trim_start();
    loop {
        if rest.is_empty() {
            return true;
        }
        if let Some(after) = rest.strip_prefix("--") {
            rest = after
                .split_once('\n')
                .map(|(_, r)| r)
                .unwrap_or("")
                .trim_start();
        } else if let Some(after) = rest.strip_prefix("/*") {
            match after.split_once("*/") {
                Some((_, r)) => rest = r.trim_start(),
                None => return true,
            }
        } else {
            return false;
        }
    }
}

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
