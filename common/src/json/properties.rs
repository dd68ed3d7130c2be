//! Property tests of the JSON splitter and the strict scan against serde_json.
//!
//! Documents are generated as text (numbers as written, strings with every escape, keys that
//! repeat across records, nesting past the scan's depth), written compact and pretty, as a
//! stream or as one top-level array, and then mutated (cut, bytes inserted, removed, replaced).
//! serde_json is the oracle: the splitter finds the records it finds, the scan either gives up
//! or agrees with it, and inference and COUNT(*) with the scan equal serde_json alone.
//! `fuzz/run` runs them for long.

use std::fmt::Write as _;

use proptest::prelude::*;
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

use super::infer::{merge_record, not_an_object};
use super::records::{Found, INITIAL_CHUNK, RecordSplitter};
use super::{
    JsonBatchReader, JsonFileInference, JsonReadOptions, infer_json, position_error, scan,
    validate_object,
};
use crate::error::Result;
use crate::lattice::{InferredType, StructType, record_schema};
use crate::property_tests::config;

const PATH: &str = "p.json";

/// A JSON value as text is written: numbers keep their spelling, strings how each character is
/// written.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    Str(JsonString),
    Array(Vec<Json>),
    Object(Vec<(JsonString, Json)>),
}

/// A string's characters, each with a choice of how to write it (as itself where JSON allows,
/// a short escape, or `\u` escapes).
#[derive(Debug, Clone)]
struct JsonString(Vec<(char, u8)>);

enum Form {
    Itself,
    Short(char),
    Unicode,
}

fn form(c: char, choice: u8) -> Form {
    let short = match c {
        '"' => Some('"'),
        '\\' => Some('\\'),
        '/' => Some('/'),
        '\u{8}' => Some('b'),
        '\u{c}' => Some('f'),
        '\n' => Some('n'),
        '\r' => Some('r'),
        '\t' => Some('t'),
        _ => None,
    };
    let must_escape = c == '"' || c == '\\' || c < ' ';
    match (choice % 4, short) {
        (0 | 1, _) if !must_escape => Form::Itself,
        (0..=2, Some(s)) => Form::Short(s),
        _ => Form::Unicode,
    }
}

impl JsonString {
    fn plain(name: &str) -> Self {
        JsonString(name.chars().map(|c| (c, 0)).collect())
    }

    fn write(&self, out: &mut String) {
        out.push('"');
        for &(c, choice) in &self.0 {
            match form(c, choice) {
                Form::Itself => out.push(c),
                Form::Short(s) => {
                    out.push('\\');
                    out.push(s);
                }
                Form::Unicode => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units).iter() {
                        let _ = if choice & 4 == 0 {
                            write!(out, "\\u{unit:04x}")
                        } else {
                            write!(out, "\\u{unit:04X}")
                        };
                    }
                }
            }
        }
        out.push('"');
    }

    /// Every character written as itself: a key the scan reads (it leaves escaped keys to
    /// serde_json).
    fn unescaped(&self) -> bool {
        self.0
            .iter()
            .all(|&(c, choice)| matches!(form(c, choice), Form::Itself))
    }

    /// A character beyond the BMP written as a `\u` surrogate pair, which the scan leaves to
    /// serde_json.
    fn has_surrogate_escape(&self) -> bool {
        self.0
            .iter()
            .any(|&(c, choice)| c > '\u{ffff}' && matches!(form(c, choice), Form::Unicode))
    }
}

/// How a document lays out its values: newline, indent unit and what follows a key.
#[derive(Debug, Clone, Copy)]
struct Spacing {
    newline: &'static str,
    indent: &'static str,
    colon: &'static str,
}

const SPACINGS: &[Spacing] = &[
    Spacing {
        newline: "",
        indent: "",
        colon: ":",
    },
    Spacing {
        newline: "\n",
        indent: "  ",
        colon: ": ",
    },
    Spacing {
        newline: "\r\n",
        indent: "\t",
        colon: " : ",
    },
    Spacing {
        newline: "\n",
        indent: "",
        colon: ":",
    },
];

/// JSON's whitespace, as it may stand between records and around the array's brackets.
const WHITESPACE: &[&str] = &["", " ", "\n", "\r\n", "\t", "\n\n  ", " \r\n\t"];

impl Json {
    fn write(&self, out: &mut String, spacing: Spacing, level: usize) {
        let open_line = |out: &mut String, level: usize| {
            out.push_str(spacing.newline);
            for _ in 0..level {
                out.push_str(spacing.indent);
            }
        };
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(text) => out.push_str(text),
            Json::Str(s) => s.write(out),
            Json::Array(items) if items.is_empty() => out.push_str("[]"),
            Json::Object(fields) if fields.is_empty() => out.push_str("{}"),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    open_line(out, level + 1);
                    item.write(out, spacing, level + 1);
                }
                open_line(out, level);
                out.push(']');
            }
            Json::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    open_line(out, level + 1);
                    key.write(out);
                    out.push_str(spacing.colon);
                    value.write(out, spacing, level + 1);
                }
                open_line(out, level);
                out.push('}');
            }
        }
    }

    fn text(&self, spacing: Spacing) -> String {
        let mut out = String::new();
        self.write(&mut out, spacing, 0);
        out
    }

    /// Levels of objects and arrays, this one included.
    fn depth(&self) -> usize {
        match self {
            Json::Array(items) => 1 + items.iter().map(Json::depth).max().unwrap_or(0),
            Json::Object(fields) => 1 + fields.iter().map(|(_, v)| v.depth()).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Whether the scan reads this value itself: it holds none of what scan.rs documents it
    /// leaves to serde_json (escaped keys, `\u` surrogates, integers of 19 digits or more,
    /// exponents of 3 digits, floats of more than 200 integer digits, nesting past 100 levels).
    fn scan_reads(&self) -> bool {
        self.depth() <= 100 && self.plain()
    }

    fn plain(&self) -> bool {
        match self {
            Json::Null | Json::Bool(_) => true,
            Json::Number(text) => scan_reads_number(text),
            Json::Str(s) => !s.has_surrogate_escape(),
            Json::Array(items) => items.iter().all(Json::plain),
            Json::Object(fields) => fields.iter().all(|(k, v)| k.unescaped() && v.plain()),
        }
    }
}

fn scan_reads_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let integer_digits = digits.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &digits[integer_digits..];
    let exponent_digits = rest
        .find(['e', 'E'])
        .map(|i| rest[i + 1..].trim_start_matches(['+', '-']).len());
    let long_integer = rest.is_empty() && integer_digits > 18;
    !long_integer && integer_digits <= 200 && exponent_digits.is_none_or(|n| (1..=2).contains(&n))
}

/// Characters that JSON escapes, that end runs in the splitter and the scan, and that take
/// two, three and four bytes.
const SPECIAL_CHARS: &[char] = &[
    '"',
    '\\',
    '/',
    '\n',
    '\r',
    '\t',
    '\u{8}',
    '\u{c}',
    '\u{0}',
    '\u{1f}',
    '\u{7f}',
    ' ',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    'é',
    '日',
    '\u{2028}',
    '\u{feff}',
    '😀',
    '\u{10ffff}',
];

fn json_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'e'),
        3 => prop::sample::select(SPECIAL_CHARS),
        1 => any::<char>(),
    ]
}

fn json_string() -> impl Strategy<Value = JsonString> {
    prop::collection::vec((json_char(), any::<u8>()), 0..8).prop_map(JsonString)
}

const KEYS: &[&str] = &["a", "b", "c", "id", "Name", "a b"];

/// Keys: mostly a few names, so that records share fields (and their types conflict).
fn key() -> impl Strategy<Value = JsonString> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(JsonString::plain),
        1 => json_string(),
    ]
}

const EXPONENT_MARKS: &[&str] = &["e", "E"];
const SIGNS: &[&str] = &["", "+", "-"];
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "-0.0",
    "0.0",
    "-0e0",
    "0E+0",
    "1e5",
    "1E-05",
    "-1.5e+10",
    "999999999999999999",
    "-999999999999999999",
    "1000000000000000000",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
];

/// Numbers as JSON may spell them: signs, negative zero, fractions, exponents of one to three
/// digits, integers past i64 and u64, and floats of about 200 digits.
fn number() -> impl Strategy<Value = String> {
    let exponent = (
        prop::sample::select(EXPONENT_MARKS),
        prop::sample::select(SIGNS),
        0u32..=300,
        any::<bool>(),
    )
        .prop_map(|(e, sign, n, padded)| {
            if padded {
                format!("{e}{sign}{n:03}")
            } else {
                format!("{e}{sign}{n}")
            }
        });
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        (0u32..100).prop_map(|n| n.to_string()),
        prop::sample::select(NUMBERS).prop_map(str::to_string),
        (
            any::<bool>(),
            0u32..10,
            prop::option::of(0u32..100_000),
            prop::option::of(exponent)
        )
            .prop_map(|(negative, digit, fraction, exponent)| {
                let mut text = String::new();
                if negative {
                    text.push('-');
                }
                let _ = write!(text, "{digit}");
                if let Some(fraction) = fraction {
                    let _ = write!(text, ".{fraction}");
                }
                text.push_str(&exponent.unwrap_or_default());
                text
            }),
        (19usize..60).prop_map(|n| "7".repeat(n)),
        (190usize..210).prop_map(|n| format!("{}.5", "3".repeat(n))),
        any::<f64>().prop_map(|f| {
            let f = if f.abs() < 1e300 { f } else { f * 1e-10 };
            serde_json::to_string(&f).unwrap_or_else(|_| "0.5".to_string())
        }),
    ]
}

fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        number().prop_map(Json::Number),
        json_string().prop_map(Json::Str),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec((key(), inner), 0..6).prop_map(Json::Object),
        ]
    })
}

/// A record: an object, now and then holding a value nested 90 to 115 levels deep (past the
/// scan's 100, short of serde_json's 128).
fn record() -> impl Strategy<Value = Json> {
    (
        prop::collection::vec((key(), json()), 0..6),
        prop_oneof![8 => Just(0usize), 1 => 90usize..=115],
    )
        .prop_map(|(mut fields, deep)| {
            if deep > 0 {
                let mut value = Json::Object(fields.clone());
                for _ in 0..deep {
                    value = Json::Array(vec![value]);
                }
                fields.push((JsonString::plain("deep"), value));
            }
            Json::Object(fields)
        })
}

/// An element of a top-level array: mostly records, else arrays and scalars other than strings
/// (the splitter ends a scalar at whitespace, so a string with a space is not one record).
fn array_element() -> impl Strategy<Value = Json> {
    prop_oneof![
        6 => record(),
        1 => Just(Json::Null),
        1 => any::<bool>().prop_map(Json::Bool),
        1 => number().prop_map(Json::Number),
        1 => prop::collection::vec(json(), 0..4).prop_map(Json::Array),
    ]
}

/// A file's text: records one after another, or one top-level array of them.
#[derive(Debug, Clone)]
struct Document {
    records: Vec<Json>,
    array: bool,
    spacing: usize,
    /// Indexes into `WHITESPACE`: before, between and after the records.
    gaps: Vec<usize>,
}

impl Document {
    fn gap(&self, i: usize) -> &'static str {
        WHITESPACE[self.gaps[i % self.gaps.len()]]
    }

    fn text(&self) -> String {
        let spacing = SPACINGS[self.spacing];
        let mut out = self.gap(0).to_string();
        if self.array {
            out.push('[');
        }
        for (i, record) in self.records.iter().enumerate() {
            if i > 0 && self.array {
                out.push(',');
            }
            out.push_str(self.gap(i + 1));
            out.push_str(&record.text(spacing));
        }
        out.push_str(self.gap(self.records.len() + 1));
        if self.array {
            out.push(']');
            out.push_str(self.gap(self.records.len() + 2));
        }
        out
    }
}

fn document() -> impl Strategy<Value = Document> {
    let gaps = prop::collection::vec(0..WHITESPACE.len(), 1..8);
    let stream = (
        prop::collection::vec(record(), 0..6),
        0..SPACINGS.len(),
        gaps.clone(),
    )
        .prop_map(|(records, spacing, gaps)| Document {
            records,
            array: false,
            spacing,
            gaps,
        });
    let array = (
        prop::collection::vec(array_element(), 0..6),
        0..SPACINGS.len(),
        gaps,
    )
        .prop_map(|(records, spacing, gaps)| Document {
            records,
            array: true,
            spacing,
            gaps,
        });
    prop_oneof![stream, array]
}

/// One change to a document's bytes; positions are taken modulo the length.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
    Replace(usize, u8),
}

/// Bytes that matter to JSON and to the splitter.
const JSON_BYTES: &[u8] = b"{}[]\",:\\\n\r\t 0159-+.eEutfnl";
/// Bytes that break UTF-8 (and a form feed, whitespace to the splitter but not to JSON).
const ODD_BYTES: &[u8] = &[0xff, 0xc3, 0xa9, 0x80, 0xed, 0xa0, 0xf0, 0x0c];

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => prop::sample::select(JSON_BYTES),
        1 => prop::sample::select(ODD_BYTES),
        1 => any::<u8>(),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<usize>().prop_map(Mutation::Truncate),
        3 => (any::<usize>(), interesting_byte()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        2 => any::<usize>().prop_map(Mutation::Remove),
        2 => (any::<usize>(), interesting_byte()).prop_map(|(at, b)| Mutation::Replace(at, b)),
    ]
}

/// A document with a few mutations applied.
#[derive(Debug, Clone)]
struct Mutated {
    document: Document,
    mutations: Vec<Mutation>,
}

impl Mutated {
    fn bytes(&self) -> Vec<u8> {
        let mut bytes = self.document.text().into_bytes();
        for m in &self.mutations {
            let len = bytes.len();
            match *m {
                Mutation::Truncate(at) => bytes.truncate(at % (len + 1)),
                Mutation::Insert(at, b) => bytes.insert(at % (len + 1), b),
                Mutation::Remove(at) if len > 0 => {
                    bytes.remove(at % len);
                }
                Mutation::Replace(at, b) if len > 0 => bytes[at % len] = b,
                Mutation::Remove(_) | Mutation::Replace(..) => {}
            }
        }
        bytes
    }
}

fn mutated() -> impl Strategy<Value = Mutated> {
    (document(), prop::collection::vec(mutation(), 1..4)).prop_map(|(document, mutations)| {
        Mutated {
            document,
            mutations,
        }
    })
}

/// Valid documents, mutated ones, and short runs of interesting bytes.
fn any_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => document().prop_map(|d| d.text().into_bytes()),
        4 => mutated().prop_map(|m| m.bytes()),
        1 => prop::collection::vec(interesting_byte(), 0..48),
    ]
}

/// Buffer sizes: a byte at a time, a few bytes, and the reader's own (everything buffered).
fn chunk() -> impl Strategy<Value = usize> {
    prop_oneof![3 => 1usize..=16, 1 => Just(64usize), 1 => Just(INITIAL_CHUNK)]
}

/// A record with the line and column where it starts.
#[derive(Debug, Clone, PartialEq)]
struct Located {
    bytes: Vec<u8>,
    line: u64,
    column: u64,
}

fn located(input: &[u8], start: usize, end: usize) -> Located {
    let before = &input[..start];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    Located {
        bytes: input[start..end].to_vec(),
        line: 1 + before.iter().filter(|&&b| b == b'\n').count() as u64,
        column: (start - line_start + 1) as u64,
    }
}

/// Where a record found at `line` and `column` starts in `input`.
fn offset_of(input: &[u8], record: &Located) -> usize {
    let mut line_start = 0;
    for _ in 1..record.line {
        line_start += input[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
    }
    line_start + record.column as usize - 1
}

fn json_whitespace(b: &u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// The records serde_json finds in `input` read in the splitter's layout: values one after
/// another, or one top-level array. None unless serde_json reads the whole input and every
/// record is one the splitter is documented to delimit (objects in a stream; anything but a
/// string in an array, since a scalar ends at whitespace).
fn records_by_serde(input: &[u8]) -> Option<Vec<Located>> {
    let first = input.iter().position(|b| !json_whitespace(b));
    if first.map(|i| input[i]) == Some(b'[') {
        let values: Vec<&RawValue> = serde_json::from_slice(input).ok()?;
        return values
            .iter()
            .map(|v| {
                let text = v.get();
                let start = text.as_ptr() as usize - input.as_ptr() as usize;
                (!text.starts_with('"')).then(|| located(input, start, start + text.len()))
            })
            .collect();
    }
    let mut stream = serde_json::Deserializer::from_slice(input).into_iter::<IgnoredAny>();
    let mut records = vec![];
    let mut end = 0;
    while let Some(value) = stream.next() {
        value.ok()?;
        let start = end + input[end..].iter().position(|b| !json_whitespace(b))?;
        end = stream.byte_offset();
        if input[start] != b'{' {
            return None;
        }
        records.push(located(input, start, end));
    }
    Some(records)
}

/// The records the splitter finds reading `chunk` bytes at a time, and the error that ended
/// them if one did.
fn split(input: &[u8], chunk: usize) -> (Vec<Located>, Option<String>) {
    let mut splitter = RecordSplitter::new(input, PATH).with_chunk(chunk);
    let mut found = vec![];
    loop {
        assert!(found.len() <= input.len(), "the splitter does not advance");
        match splitter.next_record() {
            Ok(Some(r)) => found.push(Located {
                bytes: r.bytes.to_vec(),
                line: r.line,
                column: r.column,
            }),
            Ok(None) => return (found, None),
            Err(e) => return (found, Some(e.to_string())),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Step {
    Scanned,
    Raw(Located),
}

/// As `split`, with COUNT(*)'s scan tried on each object first.
fn split_scanned(input: &[u8], chunk: usize) -> (Vec<Step>, Option<String>) {
    let mut splitter = RecordSplitter::new(input, PATH).with_chunk(chunk);
    let mut found = vec![];
    loop {
        assert!(found.len() <= input.len(), "the splitter does not advance");
        match splitter.next_record_scanned(scan::leading_object) {
            Ok(Some(Found::Scanned)) => found.push(Step::Scanned),
            Ok(Some(Found::Raw(r))) => found.push(Step::Raw(Located {
                bytes: r.bytes.to_vec(),
                line: r.line,
                column: r.column,
            })),
            Ok(None) => return (found, None),
            Err(e) => return (found, Some(e.to_string())),
        }
    }
}

/// serde_json reads `bytes` as one object, as the reader's validity check does when the scan
/// gives up (values ignored: strings are not checked as UTF-8, numbers not for range, nesting
/// not for depth).
fn serde_reads_object(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !json_whitespace(b)) == Some(&b'{')
        && serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
}

/// The record's type as inference reads it with serde_json alone, if it does.
fn type_by_serde(bytes: &[u8]) -> Option<InferredType> {
    let mut t = InferredType::Struct(StructType::new());
    merge_record(&mut t, bytes).ok().map(|()| t)
}

/// The scan reads the records the splitter finds, without the scan, where they begin; any
/// record it reads is one serde_json reads.
fn check_scanned_split(input: &[u8], chunk: usize) -> Result<(), TestCaseError> {
    let (records, error) = split(input, chunk);
    let (steps, scanned_error) = split_scanned(input, chunk);
    prop_assert_eq!(&scanned_error, &error);
    prop_assert_eq!(steps.len(), records.len());
    for (step, record) in steps.iter().zip(&records) {
        match step {
            Step::Raw(raw) => prop_assert_eq!(raw, record),
            Step::Scanned => prop_assert!(
                serde_reads_object(&record.bytes) && type_by_serde(&record.bytes).is_some(),
                "the scan read a record serde_json rejects: {:?}",
                String::from_utf8_lossy(&record.bytes)
            ),
        }
    }
    Ok(())
}

/// Inference as `infer_json` does it, every record read by serde_json.
fn infer_by_serde(input: &[u8], skip: bool) -> Result<JsonFileInference> {
    let mut splitter = RecordSplitter::new(input, PATH);
    let mut record = InferredType::Struct(StructType::new());
    let (mut records, mut skipped) = (0, 0);
    while let Some(raw) = splitter.next_record()? {
        let first = raw.bytes.iter().find(|b| !b.is_ascii_whitespace());
        let parsed = if first != Some(&b'{') {
            Err(not_an_object())
        } else if skip {
            serde_json::from_slice::<IgnoredAny>(raw.bytes)
                .and_then(|_| merge_record(&mut record, raw.bytes))
        } else {
            merge_record(&mut record, raw.bytes)
        };
        match parsed {
            Ok(()) => records += 1,
            Err(_) if skip => skipped += 1,
            Err(err) => return Err(position_error(PATH, &raw, &err)),
        }
    }
    let InferredType::Struct(record) = record else {
        panic!("records merged into a type that is not a struct");
    };
    Ok(JsonFileInference {
        record,
        records,
        skipped,
    })
}

fn options(skip: bool) -> JsonReadOptions {
    JsonReadOptions {
        skip_invalid_records: skip,
        ..JsonReadOptions::default()
    }
}

/// COUNT(*): rows and skipped records read with no columns.
fn count_star(
    input: &[u8],
    record: &StructType,
    skip: bool,
    batch_size: usize,
) -> Result<(u64, u64)> {
    let schema = record_schema(record);
    let mut reader =
        JsonBatchReader::new(input, PATH, &schema, Some(&[]), options(skip), batch_size)?;
    let mut rows = 0;
    while let Some(batch) = reader.next_batch()? {
        rows += batch.num_rows() as u64;
    }
    Ok((rows, reader.skipped()))
}

proptest! {
    #![proptest_config(config(192))]

    /// Valid documents: the splitter finds exactly serde_json's records, where they start,
    /// whatever the buffer size; with the whole input buffered, COUNT(*)'s scan reads each
    /// object that holds nothing it leaves to serde_json, and reads no other.
    #[test]
    fn the_splitter_finds_the_records_serde_json_finds(
        doc in document(),
        chunk in chunk(),
    ) {
        let input = doc.text().into_bytes();
        let expected = records_by_serde(&input);
        prop_assert!(
            expected.is_some(),
            "serde_json does not read the generated document {:?}",
            String::from_utf8_lossy(&input)
        );
        let expected = expected.unwrap_or_default();
        prop_assert_eq!(expected.len(), doc.records.len());
        prop_assert_eq!(split(&input, chunk), (expected.clone(), None));
        check_scanned_split(&input, chunk)?;
        let (steps, _) = split_scanned(&input, INITIAL_CHUNK);
        for ((step, record), value) in steps.iter().zip(&expected).zip(&doc.records) {
            let rest = &input[offset_of(&input, record)..];
            let scanned = scan::leading_object(rest);
            prop_assert_eq!(matches!(step, Step::Scanned), scanned.is_some());
            if matches!(value, Json::Object(_)) {
                prop_assert_eq!(scanned.is_some(), value.scan_reads(), "{:?}", record);
            }
        }
    }

    /// Any bytes: the splitter ends (never panics, always advances), finds the same records
    /// whatever the buffer size, finds serde_json's records whenever serde_json reads the
    /// whole input, and COUNT(*)'s scan only ever reads records serde_json reads.
    #[test]
    fn the_splitter_on_any_bytes(input in any_input(), chunk in chunk()) {
        let found = split(&input, chunk);
        prop_assert_eq!(&found, &split(&input, INITIAL_CHUNK));
        if let Some(expected) = records_by_serde(&input) {
            prop_assert_eq!(&found, &(expected, None));
        }
        check_scanned_split(&input, chunk)?;
    }

    /// The scan on each record a document's splitting gives, and on raw bytes: it either gives
    /// up or agrees with serde_json, and on valid records it gives up only on what it
    /// documents leaving to serde_json. The reader's validity check (the scan, then
    /// serde_json) is exactly serde_json's.
    #[test]
    fn the_scan_gives_up_or_agrees_with_serde_json(
        input in any_input(),
        tail in prop::collection::vec(interesting_byte(), 0..4),
    ) {
        let (records, _) = split(&input, INITIAL_CHUNK);
        let mut candidates: Vec<Vec<u8>> = records.into_iter().map(|r| r.bytes).collect();
        candidates.push(input);
        for bytes in &candidates {
            let by_serde = type_by_serde(bytes);
            let mut by_scan = InferredType::Struct(StructType::new());
            let merged = scan::merge_object(bytes, &mut by_scan);
            prop_assert_eq!(&merged, &scan::validate_object(bytes));
            if merged.is_ok() {
                prop_assert!(serde_reads_object(bytes));
                prop_assert_eq!(Some(&by_scan), by_serde.as_ref());
            }
            if bytes.first().is_some_and(|b| !json_whitespace(b)) {
                prop_assert_eq!(validate_object(bytes).is_ok(), serde_reads_object(bytes));
            }
            // What follows a leading object is not looked at.
            let mut followed = bytes.clone();
            followed.extend_from_slice(&tail);
            let leading = scan::leading_object(&followed);
            let mut by_leading_scan = InferredType::Struct(StructType::new());
            prop_assert_eq!(
                leading,
                scan::merge_leading_object(&followed, &mut by_leading_scan)
            );
            if let Some(n) = leading {
                let mut stream =
                    serde_json::Deserializer::from_slice(&followed).into_iter::<IgnoredAny>();
                prop_assert!(matches!(stream.next(), Some(Ok(_))));
                prop_assert_eq!(stream.byte_offset(), n);
                let by_serde = type_by_serde(&followed[..n]);
                prop_assert_eq!(Some(&by_leading_scan), by_serde.as_ref());
            }
        }
    }

    /// Generated records read by the scan alone: it reads every one that holds nothing it
    /// leaves to serde_json (and no other), with serde_json's type.
    #[test]
    fn the_scan_reads_plain_records(value in record(), spacing in 0..SPACINGS.len()) {
        let text = value.text(SPACINGS[spacing]);
        let bytes = text.as_bytes();
        let by_serde = type_by_serde(bytes);
        prop_assert!(by_serde.is_some(), "serde_json rejects the generated record {text}");
        let mut by_scan = InferredType::Struct(StructType::new());
        let scanned = scan::merge_object(bytes, &mut by_scan);
        prop_assert_eq!(scanned.is_ok(), value.scan_reads(), "{}", text);
        if scanned.is_ok() {
            prop_assert_eq!(Some(by_scan), by_serde);
        }
    }

    /// Inference with the scan (which may give up part-way through a record, and merge part of
    /// it first) gives what inference gives with every record read by serde_json: the same
    /// type, counts and error.
    #[test]
    fn inference_with_the_scan_equals_serde_json_alone(
        input in any_input(),
        skip in any::<bool>(),
    ) {
        let got = infer_json(input.as_slice(), PATH, &options(skip));
        match (got, infer_by_serde(&input, skip)) {
            (Ok(got), Ok(expected)) => prop_assert_eq!(got, expected),
            (Err(got), Err(expected)) => prop_assert_eq!(got.to_string(), expected.to_string()),
            (got, expected) => {
                return Err(TestCaseError::fail(format!(
                    "inference gave {got:?}, serde_json alone {expected:?}"
                )));
            }
        }
    }

    /// COUNT(*) with the scan counts (and skips) the records inference counts (and skips).
    #[test]
    fn count_star_with_the_scan_equals_serde_json_alone(
        input in any_input(),
        batch_size in 1usize..4,
    ) {
        // A record serde_json reads when its values are ignored but not when they are read
        // (a string that is not UTF-8, a lone surrogate escape, a number out of range, nesting
        // past 127 levels) is skipped by inference and counted by COUNT(*): not compared here.
        let (records, _) = split(&input, INITIAL_CHUNK);
        if records
            .iter()
            .any(|r| serde_reads_object(&r.bytes) && type_by_serde(&r.bytes).is_none())
        {
            return Ok(());
        }
        let skipping = infer_by_serde(&input, true);
        let record = skipping.as_ref().map(|i| i.record.clone()).unwrap_or_default();
        let counted = count_star(&input, &record, true, batch_size);
        match &skipping {
            Ok(i) => prop_assert_eq!(counted.ok(), Some((i.records, i.skipped))),
            Err(_) => prop_assert!(counted.is_err()),
        }
        let strict = infer_by_serde(&input, false);
        let counted = count_star(&input, &record, false, batch_size);
        match &strict {
            Ok(i) => prop_assert_eq!(counted.ok(), Some((i.records, 0))),
            Err(_) => prop_assert!(counted.is_err()),
        }
    }
}
