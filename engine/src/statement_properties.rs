//! Property tests of Drill's statement pre-parsers (CTAS, SHOW FILES/TABLES and DESCRIBE,
//! SET/RESET, EXPLAIN PLAN): any text, and soups of SQL's own tokens (keywords in any case,
//! quotes and comments left open, keywords cut short before a multi-byte character), never
//! panic; statements written in each one's shape parse back to what was written.
//! `fuzz/run` runs them for long.

use proptest::prelude::*;

use auger_common::property_tests::config;

use crate::DrillDialect;
use crate::ctas::{self, Ctas};
use crate::explain::{self, Level};
use crate::metadata::{self, MetaStatement};
use crate::set_option::{self, OptionStatement, Scope};

const KEYWORDS: &[&str] = &[
    "CREATE",
    "TABLE",
    "AS",
    "PARTITION",
    "BY",
    "SELECT",
    "FROM",
    "WHERE",
    "SHOW",
    "FILES",
    "TABLES",
    "IN",
    "DESCRIBE",
    "DESC",
    "SCHEMA",
    "DATABASE",
    "ALTER",
    "SESSION",
    "SYSTEM",
    "SET",
    "RESET",
    "ALL",
    "EXPLAIN",
    "PLAN",
    "WITH",
    "WITHOUT",
    "IMPLEMENTATION",
    "FOR",
    "INCLUDING",
    "ATTRIBUTES",
];

/// Punctuation, and quotes and comments opened and never closed.
const SYMBOLS: &[&str] = &[
    "(", ")", ",", ".", ";", "=", "-", "*", "[", "]", "=>", "::", "'", "\"", "`", "--", "/*", "*/",
    "\\", "$", "?",
];

/// What may stand between words: spaces, line ends, and comments.
const SEPARATORS: &[&str] = &[" ", "  ", "\n", "\t", "\r\n", " /* c */ ", " -- c\n"];

/// The same, with nothing at all among them (a soup's tokens may touch).
const SOUP_SEPARATORS: &[&str] = &["", " ", "\n", "\t", "\r\n", "\u{a0}", "\u{3000}"];

/// `word` with its ASCII letters' case flipped where `flips` has a bit set.
fn mixed_case(word: &str, flips: u64) -> String {
    word.chars()
        .enumerate()
        .map(|(i, c)| {
            if (flips >> (i % 64)) & 1 == 1 {
                if c.is_ascii_uppercase() {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                }
            } else {
                c
            }
        })
        .collect()
}

fn keyword(word: &'static str) -> impl Strategy<Value = String> {
    any::<u64>().prop_map(move |flips| mixed_case(word, flips))
}

const SPECIAL_CHARS: &[char] = &[
    '\'', '"', '`', ';', '-', '/', '*', '\n', '\r', '\t', ' ', '\\', 'é', '日', '😀', '\u{0}',
];

fn text(max: usize) -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => prop::char::range('a', 'e'),
        2 => prop::sample::select(SPECIAL_CHARS),
        1 => any::<char>(),
    ];
    prop::collection::vec(c, 0..max).prop_map(|cs| cs.into_iter().collect())
}

/// One token of SQL, or the start of one.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (prop::sample::select(KEYWORDS), any::<u64>())
            .prop_map(|(w, flips)| mixed_case(w, flips)),
        3 => prop::sample::select(SYMBOLS).prop_map(str::to_string),
        2 => text(8).prop_map(|t| format!("'{}'", t.replace('\'', "''"))),
        1 => text(8).prop_map(|t| format!("`{t}`")),
        1 => text(8).prop_map(|t| format!("\"{t}\"")),
        1 => text(8).prop_map(|t| format!("-- {t}\n")),
        1 => text(8).prop_map(|t| format!("/* {t} */")),
        1 => (0u64..1_000_000).prop_map(|n| n.to_string()),
        // A keyword cut anywhere, then any character (`EXPLA日`, `SHO😀`).
        2 => (prop::sample::select(KEYWORDS), any::<usize>(), any::<char>())
            .prop_map(|(w, cut, c)| format!("{}{c}", &w[..cut % (w.len() + 1)])),
        1 => text(8),
    ]
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((token(), prop::sample::select(SOUP_SEPARATORS)), 0..12).prop_map(
        |tokens| {
            let mut sql = String::new();
            for (token, separator) in tokens {
                sql.push_str(&token);
                sql.push_str(separator);
            }
            sql
        },
    )
}

/// One part of a name: a plain identifier, or a backticked one holding anything but a
/// backtick.
#[derive(Debug, Clone)]
enum Part {
    Plain(&'static str),
    Quoted(String),
}

/// Identifiers that are no keyword the pre-parsers look for.
const IDENTIFIERS: &[&str] = &[
    "t",
    "dfs",
    "tmp",
    "sales_2014",
    "x1",
    "Größe",
    "_a",
    "orders",
];

impl Part {
    fn written(&self) -> String {
        match self {
            Part::Plain(p) => p.to_string(),
            Part::Quoted(q) => format!("`{q}`"),
        }
    }

    fn value(&self) -> String {
        match self {
            Part::Plain(p) => p.to_string(),
            Part::Quoted(q) => q.clone(),
        }
    }
}

fn part() -> impl Strategy<Value = Part> {
    prop_oneof![
        2 => prop::sample::select(IDENTIFIERS).prop_map(Part::Plain),
        1 => text(8)
            .prop_map(|t| t.replace('`', "") + "q")
            .prop_map(Part::Quoted),
    ]
}

fn name() -> impl Strategy<Value = Vec<Part>> {
    prop::collection::vec(part(), 1..4)
}

fn dotted(name: &[Part]) -> String {
    name.iter().map(Part::written).collect::<Vec<_>>().join(".")
}

fn values(name: &[Part]) -> Vec<String> {
    name.iter().map(Part::value).collect()
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(SEPARATORS)
}

/// What may end a statement.
const TERMINATORS: &[&str] = &["", ";", " ;", ";;", ";\n", "\n"];

fn terminator() -> impl Strategy<Value = &'static str> {
    prop::sample::select(TERMINATORS)
}

/// A query that tokenizes: SELECT, then words, numbers, strings, quoted names and closed
/// comments.
fn query() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        3 => prop::sample::select(IDENTIFIERS).prop_map(str::to_string),
        2 => (0u64..1000).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["(", ")", ",", "*", "=", "+", "FROM", "WHERE", "AS"])
            .prop_map(str::to_string),
        1 => text(8).prop_map(|t| format!("'{}'", t.replace('\'', "''"))),
        1 => text(8).prop_map(|t| format!("`{}q`", t.replace('`', ""))),
        1 => text(8).prop_map(|t| format!("-- {}\n", t.replace(['\n', '\r'], " "))),
        1 => text(8).prop_map(|t| format!("/* {} */", t.replace(['*', '/'], " "))),
    ];
    (keyword("SELECT"), prop::collection::vec(token, 0..8)).prop_map(|(select, tokens)| {
        let mut q = select;
        for t in tokens {
            q.push(' ');
            q.push_str(&t);
        }
        q
    })
}

fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..40).prop_map(|cs| cs.into_iter().collect())
}

/// Whatever each pre-parser makes of `sql`, it returns: no panic.
fn parse_everything(sql: &str) -> Result<(), TestCaseError> {
    if let Ok(Some(c)) = ctas::parse(&DrillDialect, sql) {
        prop_assert!(!c.name.is_empty());
        prop_assert!(sql.contains(&c.query), "{:?} is not in {sql:?}", c.query);
    }
    if let Ok(Some(MetaStatement::DescribeTable(name) | MetaStatement::DescribeSchema(name))) =
        metadata::parse(&DrillDialect, sql)
    {
        prop_assert!(!name.is_empty());
    }
    let _ = set_option::parse(&DrillDialect, sql);
    if let Some((query, _)) = explain::parse(sql) {
        prop_assert!(sql.contains(query));
        prop_assert_eq!(query, query.trim());
    }
    let _ = crate::dialect::statement_tokens(&DrillDialect, sql);
    Ok(())
}

#[derive(Debug, Clone)]
struct CtasCase {
    create: String,
    table: String,
    name: Vec<Part>,
    columns: Vec<Part>,
    partition_by: Vec<Part>,
    partition: String,
    by: String,
    r#as: String,
    query: String,
    separators: Vec<&'static str>,
    terminator: &'static str,
}

impl CtasCase {
    fn sql(&self) -> String {
        let s = |i: usize| self.separators[i % self.separators.len()];
        let list = |parts: &[Part]| {
            let written: Vec<String> = parts.iter().map(Part::written).collect();
            format!("({})", written.join(", "))
        };
        let mut sql = format!(
            "{}{}{}{}{}",
            self.create,
            s(0),
            self.table,
            s(1),
            dotted(&self.name)
        );
        if !self.columns.is_empty() {
            sql.push_str(s(2));
            sql.push_str(&list(&self.columns));
        }
        if !self.partition_by.is_empty() {
            sql.push_str(s(3));
            sql.push_str(&self.partition);
            sql.push_str(s(4));
            sql.push_str(&self.by);
            sql.push_str(s(5));
            sql.push_str(&list(&self.partition_by));
        }
        sql.push_str(s(6));
        sql.push_str(&self.r#as);
        sql.push_str(s(7));
        sql.push_str(&self.query);
        sql.push_str(self.terminator);
        sql
    }
}

fn ctas_case() -> impl Strategy<Value = CtasCase> {
    (
        (keyword("CREATE"), keyword("TABLE"), name()),
        (
            prop::collection::vec(part(), 0..3),
            prop::collection::vec(part(), 0..3),
            keyword("PARTITION"),
            keyword("BY"),
        ),
        (keyword("AS"), query()),
        (prop::collection::vec(separator(), 1..8), terminator()),
    )
        .prop_map(
            |(
                (create, table, name),
                (columns, partition_by, partition, by),
                (r#as, query),
                (separators, terminator),
            )| {
                CtasCase {
                    create,
                    table,
                    name,
                    columns,
                    partition_by,
                    partition,
                    by,
                    r#as,
                    query,
                    separators,
                    terminator,
                }
            },
        )
}

/// A SHOW FILES, SHOW TABLES or DESCRIBE statement and what it says.
fn meta_case() -> impl Strategy<Value = (String, MetaStatement)> {
    let show = (
        keyword("SHOW"),
        any::<bool>(),
        any::<u64>(),
        prop::option::of((prop::sample::select(vec!["IN", "FROM"]), name())),
        separator(),
    )
        .prop_map(|(show, files, flips, place, s)| {
            let what = mixed_case(if files { "files" } else { "tables" }, flips);
            let mut sql = format!("{show}{s}{what}");
            let mut parts = vec![];
            if let Some((word, name)) = place {
                sql.push_str(&format!("{s}{word}{s}{}", dotted(&name)));
                parts = values(&name);
            }
            let statement = if files {
                MetaStatement::ShowFiles(parts)
            } else {
                MetaStatement::ShowTables(parts)
            };
            (sql, statement)
        });
    let describe = (
        prop::sample::select(vec!["DESCRIBE", "DESC", "describe", "Desc"]),
        prop::sample::select(vec!["", "TABLE", "table", "SCHEMA", "DATABASE", "database"]),
        name(),
        separator(),
    )
        .prop_map(|(describe, kind, name, s)| {
            let sql = if kind.is_empty() {
                format!("{describe}{s}{}", dotted(&name))
            } else {
                format!("{describe}{s}{kind}{s}{}", dotted(&name))
            };
            let statement =
                if kind.eq_ignore_ascii_case("schema") || kind.eq_ignore_ascii_case("database") {
                    MetaStatement::DescribeSchema(values(&name))
                } else {
                    MetaStatement::DescribeTable(values(&name))
                };
            (sql, statement)
        });
    prop_oneof![show, describe]
}

/// An option's name as written and as parsed: backticked, or dotted plain words.
fn option_name() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        text(8)
            .prop_map(|t| t.replace('`', "") + "x")
            .prop_map(|n| (format!("`{n}`"), n)),
        prop::collection::vec(
            prop::sample::select(vec!["store", "json", "all_text_mode", "exec", "width"]),
            1..4
        )
        .prop_map(|words| (words.join("."), words.join("."))),
    ]
}

/// A literal as written and as parsed.
fn literal() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        any::<u32>().prop_map(|n| (n.to_string(), n.to_string())),
        any::<u32>().prop_map(|n| (format!("-{n}"), format!("-{n}"))),
        Just(("1.5".to_string(), "1.5".to_string())),
        text(8)
            .prop_map(|t| t.replace('\'', ""))
            .prop_map(|t| (format!("'{t}'"), t)),
        prop::sample::select(vec!["true", "FALSE", "on", "Off"])
            .prop_map(|w| (w.to_string(), w.to_string())),
    ]
}

/// What may come before SET and RESET, and the scope it gives.
fn scope() -> impl Strategy<Value = (String, Scope)> {
    prop_oneof![
        Just((String::new(), Scope::Session)),
        Just(("ALTER SESSION ".to_string(), Scope::Session)),
        Just(("alter system ".to_string(), Scope::System)),
    ]
}

/// A SET or RESET statement and what it says.
fn option_case() -> impl Strategy<Value = (String, OptionStatement)> {
    let set = (
        scope(),
        option_name(),
        prop::sample::select(vec![" = ", "=", " "]),
        literal(),
    )
        .prop_map(|((prefix, scope), (written, name), eq, (literal, value))| {
            (
                format!("{prefix}SET {written}{eq}{literal}"),
                OptionStatement::Set { scope, name, value },
            )
        });
    let reset =
        (scope(), prop::option::of(option_name())).prop_map(|((prefix, scope), name)| match name {
            Some((written, name)) => (
                format!("{prefix}reset {written}"),
                OptionStatement::Reset {
                    scope,
                    name: Some(name),
                },
            ),
            None => (
                format!("{prefix}RESET ALL"),
                OptionStatement::Reset { scope, name: None },
            ),
        });
    prop_oneof![set, reset]
}

/// An EXPLAIN PLAN statement, its query and the plan it asks for.
fn explain_case() -> impl Strategy<Value = (String, String, Level)> {
    (
        prop::collection::vec(any::<u64>(), 7),
        prop::collection::vec(prop::sample::select(vec![" ", "\n", "\t", "  ", "\r\n"]), 7),
        any::<bool>(),
        0usize..3,
        text(20),
    )
        .prop_map(|(flips, gaps, attributes, implementation, query)| {
            let mut words = vec!["EXPLAIN", "PLAN"];
            if attributes {
                words.extend(["INCLUDING", "ALL", "ATTRIBUTES"]);
            }
            let level = match implementation {
                1 => {
                    words.extend(["WITH", "IMPLEMENTATION"]);
                    Level::Physical
                }
                2 => {
                    words.extend(["WITHOUT", "IMPLEMENTATION"]);
                    Level::Logical
                }
                _ => Level::Physical,
            };
            words.push("FOR");
            let mut sql = String::new();
            for (i, w) in words.iter().enumerate() {
                sql.push_str(&mixed_case(w, flips[i % flips.len()]));
                sql.push_str(gaps[i % gaps.len()]);
            }
            sql.push_str(&query);
            (sql, query.trim().to_string(), level)
        })
}

proptest! {
    #![proptest_config(config(512))]

    /// Any text and any soup of tokens: every pre-parser returns.
    #[test]
    fn pre_parsers_never_panic(sql in prop_oneof![3 => soup(), 1 => any_text()]) {
        parse_everything(&sql)?;
    }

    /// Drill's CTAS, keywords in any case, comments between them: the name, columns,
    /// partition columns and the query's text as written.
    #[test]
    fn ctas_parses_back(case in ctas_case()) {
        let sql = case.sql();
        let expected = Ctas {
            name: values(&case.name),
            columns: values(&case.columns),
            partition_by: values(&case.partition_by),
            query: format!("{}{}", case.query, case.terminator)
                .trim()
                .trim_end_matches(';')
                .to_string(),
        };
        prop_assert_eq!(ctas::parse(&DrillDialect, &sql), Ok(Some(expected)), "{}", sql);
        parse_everything(&sql)?;
    }

    /// SHOW FILES, SHOW TABLES and DESCRIBE, with or without a name.
    #[test]
    fn metadata_statements_parse_back(
        (sql, expected) in meta_case(),
        terminator in terminator(),
    ) {
        let sql = format!("{sql}{terminator}");
        prop_assert_eq!(metadata::parse(&DrillDialect, &sql), Ok(Some(expected)), "{}", sql);
        parse_everything(&sql)?;
    }

    /// SET and RESET, with ALTER SESSION or SYSTEM or neither.
    #[test]
    fn option_statements_parse_back(
        (sql, expected) in option_case(),
        terminator in terminator(),
    ) {
        let sql = format!("{sql}{terminator}");
        prop_assert_eq!(set_option::parse(&DrillDialect, &sql), Ok(Some(expected)), "{}", sql);
        parse_everything(&sql)?;
    }

    /// EXPLAIN PLAN in every form, any query after FOR.
    #[test]
    fn explain_plan_parses_back((sql, query, level) in explain_case()) {
        prop_assert_eq!(explain::parse(&sql), Some((query.as_str(), level)), "{}", sql);
        parse_everything(&sql)?;
    }
}
