//! Property tests of `split_statements` and `script_statements`: any text splits without a
//! panic into trimmed statements that appear, in order, before the unfinished rest, which is
//! what follows the last `;`, and a script's statements are those and the rest; statements
//! built from quotes, backticks and comments holding `;`, joined by `;`, split back into
//! exactly those statements, each named by the line its SQL starts on. `fuzz/run` runs them
//! for long.

use proptest::prelude::*;

use auger_common::property_tests::config;

use super::{ScriptStatement, is_only_comments, script_statements, split_statements};

/// Characters that start or end quotes and comments, and some of several bytes.
const SPECIAL_CHARS: &[char] = &[
    ';', '\'', '"', '`', '-', '/', '*', '\n', '\r', ' ', '\t', 'é', '日', '😀',
];

fn text(max: usize) -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => prop::char::range('a', 'e'),
        3 => prop::sample::select(SPECIAL_CHARS),
        1 => any::<char>(),
    ];
    prop::collection::vec(c, 0..max).prop_map(|cs| cs.into_iter().collect())
}

/// One token of a statement, complete: its quotes and comments closed (a line comment by its
/// newline), whatever they hold.
#[derive(Debug, Clone)]
enum Token {
    Word(String),
    Quoted(char, String),
    LineComment(String),
    BlockComment(String),
}

impl Token {
    fn written(&self) -> String {
        match self {
            Token::Word(w) => w.clone(),
            // A quote inside is doubled, as SQL escapes it.
            Token::Quoted(q, t) => {
                let doubled: String = [*q, *q].iter().collect();
                format!("{q}{}{q}", t.replace(*q, &doubled))
            }
            Token::LineComment(t) => format!("--{t}\n"),
            Token::BlockComment(t) => format!("/*{t}*/"),
        }
    }

    fn is_comment(&self) -> bool {
        matches!(self, Token::LineComment(_) | Token::BlockComment(_))
    }
}

fn token() -> impl Strategy<Value = Token> {
    prop_oneof![
        // No quote, `;` or comment start in a word.
        3 => text(6).prop_map(|t| Token::Word(
            t.replace(['\'', '"', '`', ';', '-', '/'], "x") + "w"
        )),
        2 => (prop::sample::select(vec!['\'', '"', '`']), text(8))
            .prop_map(|(q, t)| Token::Quoted(q, t)),
        1 => text(8).prop_map(|t| Token::LineComment(t.replace('\n', " "))),
        1 => text(8).prop_map(|t| Token::BlockComment(t.replace("*/", "* /"))),
    ]
}

/// Statements (tokens separated by whitespace) and the whitespace around each.
fn pieces() -> impl Strategy<Value = Vec<(Vec<Token>, &'static str, &'static str)>> {
    let space = prop::sample::select(vec!["", " ", "\n", "\t ", "\r\n"]);
    prop::collection::vec(
        (prop::collection::vec(token(), 0..5), space.clone(), space),
        1..5,
    )
}

fn written(tokens: &[Token]) -> String {
    tokens
        .iter()
        .map(Token::written)
        .collect::<Vec<_>>()
        .join(" ")
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        text(40),
        prop::collection::vec(any::<char>(), 0..40).prop_map(|cs| cs.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(config(512))]

    /// Any text: the statements are trimmed, not empty and not only comments, and appear in
    /// order in the text before the rest; the rest is what follows the last `;`.
    #[test]
    fn any_text_splits_in_order(text in any_text()) {
        let (statements, rest) = split_statements(&text);
        prop_assert!(text.ends_with(&rest));
        let done = &text[..text.len() - rest.len()];
        prop_assert!(done.is_empty() || done.ends_with(';'));
        let mut from = 0;
        for s in &statements {
            prop_assert_eq!(s.as_str(), s.trim());
            prop_assert!(!s.is_empty() && !is_only_comments(s));
            let at = done[from..].find(s.as_str());
            prop_assert!(at.is_some(), "{s:?} is not in {done:?} after {from}");
            from += at.unwrap_or_default() + s.len();
        }
        // A whole script: the same statements, then the rest when it holds SQL, on lines in
        // order.
        let script = script_statements(&text);
        let mut expected = statements;
        if !is_only_comments(&rest) {
            expected.push(rest.trim().to_string());
        }
        let sqls: Vec<String> = script.iter().map(|s| s.sql.clone()).collect();
        prop_assert_eq!(sqls, expected);
        let last_line = 1 + text.matches('\n').count();
        prop_assert!(script.windows(2).all(|w| w[0].line <= w[1].line));
        prop_assert!(script.iter().all(|s| (1..=last_line).contains(&s.line)));
    }

    /// Statements joined by `;`: each comes back, trimmed, except those holding only
    /// comments; what follows the last `;` is the rest, as written.
    #[test]
    fn statements_joined_by_semicolons_split_back(pieces in pieces()) {
        let texts: Vec<String> = pieces
            .iter()
            .map(|(tokens, before, after)| format!("{before}{}{after}", written(tokens)))
            .collect();
        let (statements, rest) = split_statements(&texts.join(";"));
        let last = texts.len() - 1;
        let expected: Vec<String> = pieces[..last]
            .iter()
            .zip(&texts)
            .filter(|((tokens, _, _), _)| tokens.iter().any(|t| !t.is_comment()))
            .map(|(_, text)| text.trim().to_string())
            .collect();
        prop_assert_eq!(statements, expected);
        prop_assert_eq!(&rest, &texts[last]);
    }

    /// A script of such statements: each that holds SQL, the last one too, with the line of
    /// its first token that is not a comment (where its SQL starts).
    #[test]
    fn script_statements_name_their_lines(pieces in pieces()) {
        let texts: Vec<String> = pieces
            .iter()
            .map(|(tokens, before, after)| format!("{before}{}{after}", written(tokens)))
            .collect();
        let script = texts.join(";");
        let mut expected = vec![];
        let mut piece_start = 0;
        for ((tokens, before, _), text) in pieces.iter().zip(&texts) {
            if let Some(k) = tokens.iter().position(|t| !t.is_comment()) {
                let token_start: usize = before.len()
                    + tokens[..k].iter().map(|t| t.written().len() + 1).sum::<usize>();
                let first = tokens[k].written();
                let leading_space = first.len() - first.trim_start().len();
                let sql_start = piece_start + token_start + leading_space;
                expected.push(ScriptStatement {
                    sql: text.trim().to_string(),
                    line: 1 + script[..sql_start].matches('\n').count(),
                });
            }
            piece_start += text.len() + 1;
        }
        prop_assert_eq!(script_statements(&script), expected);
    }
}
