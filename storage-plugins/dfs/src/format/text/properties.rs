//! Property tests of the text reader against the csv crate, under every delimiter, quote,
//! escape and comment setting: fields `csv::Writer` writes (quotes, delimiters, newlines, CR,
//! UTF-8) read back as written, without a header and with one; any bytes read as the csv
//! crate's own records, or fail naming the first field that is not UTF-8, and never panic.
//! `fuzz/run` runs them for long.

use std::sync::Arc;

use arrow::array::{Array, AsArray};
use auger_common::Result;
use proptest::prelude::*;

use auger_common::property_tests::config;

use super::{
    TextBatchReader, TextOptions, columns_schema, header_schema, invalid_utf8, line_of, read_header,
};

const PATH: &str = "p.csv";

const DELIMITERS: &[u8] = b",\t|;";
const QUOTES: &[u8] = b"\"'";

fn options() -> impl Strategy<Value = TextOptions> {
    (
        prop::sample::select(DELIMITERS),
        prop::sample::select(QUOTES),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(delimiter, quote, escape, comment, skip_first_line, extract_header)| TextOptions {
                delimiter,
                quote,
                escape: escape.then_some(b'\\'),
                comment: comment.then_some(b'#'),
                skip_first_line,
                extract_header,
            },
        )
}

/// Characters that mean something to one setting or another, and that take more than a byte.
const SPECIAL_CHARS: &[char] = &[
    ',', '\t', '|', ';', '"', '\'', '\\', '#', '\r', '\n', ' ', 'é', '日', '😀', '\u{0}',
];

/// A field's text. No byte-order mark: the csv crate's reader drops one that starts the input,
/// as a file's, whatever the writer meant by it.
fn field() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => prop::char::range('a', 'd'),
        3 => prop::sample::select(SPECIAL_CHARS),
        1 => any::<char>().prop_map(|c| if c == '\u{feff}' { 'b' } else { c }),
    ];
    prop::collection::vec(c, 0..6).prop_map(|cs| cs.into_iter().collect())
}

fn records() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop::collection::vec(field(), 1..5), 0..6)
}

/// How `csv::Writer` writes: every field quoted or only where needed, lines ending in LF or
/// CRLF.
#[derive(Debug, Clone, Copy)]
struct WriteStyle {
    quote_always: bool,
    crlf: bool,
}

fn write_style() -> impl Strategy<Value = WriteStyle> {
    (any::<bool>(), any::<bool>())
        .prop_map(|(quote_always, crlf)| WriteStyle { quote_always, crlf })
}

/// Fields as `options` can hold them: with an escape other than the quote, the csv crate's
/// writer leaves the escape byte itself as it is, which its reader then takes for an escape.
fn writable(records: &[Vec<String>], options: &TextOptions) -> Vec<Vec<String>> {
    records
        .iter()
        .map(|r| {
            r.iter()
                .map(|f| match options.escape {
                    Some(e) => f.replace(char::from(e), "/"),
                    None => f.clone(),
                })
                .collect()
        })
        .collect()
}

/// `records` as `csv::Writer` writes them with the reader's settings.
fn write(records: &[Vec<String>], options: &TextOptions, style: WriteStyle) -> Vec<u8> {
    let mut builder = csv::WriterBuilder::new();
    builder
        .delimiter(options.delimiter)
        .quote(options.quote)
        .comment(options.comment)
        .flexible(true)
        .quote_style(if style.quote_always {
            csv::QuoteStyle::Always
        } else {
            csv::QuoteStyle::Necessary
        })
        .terminator(if style.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        });
    if let Some(escape) = options.escape {
        builder.double_quote(false).escape(escape);
    }
    let mut out = Vec::new();
    {
        let mut writer = builder.from_writer(&mut out);
        for record in records {
            writer.write_record(record).unwrap();
        }
        writer.flush().unwrap();
    }
    out
}

/// A headerless file's rows, each its `columns` array.
fn read_columns(
    data: &[u8],
    options: &TextOptions,
    batch_size: usize,
) -> Result<Vec<Vec<Option<String>>>> {
    let reader = TextBatchReader::new(
        data,
        PATH,
        options.clone(),
        Arc::new(columns_schema()),
        None,
        batch_size,
    )?;
    let mut rows = vec![];
    for batch in reader {
        let batch = batch?;
        for row in batch.column(0).as_list::<i32>().iter() {
            let row = row.expect("a columns array is never null");
            rows.push(
                row.as_string::<i32>()
                    .iter()
                    .map(|f| f.map(str::to_string))
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// Rows of optional field values, as a header-ed file reads.
type NamedRows = Vec<Vec<Option<String>>>;

/// A file with a header: the column names its header gives, and its rows.
fn read_named(
    data: &[u8],
    options: &TextOptions,
    batch_size: usize,
) -> Result<(Vec<String>, NamedRows)> {
    let names = read_header(data, PATH, options)?.names.unwrap_or_default();
    let schema = Arc::new(header_schema(std::slice::from_ref(&names)));
    let reader = TextBatchReader::new(data, PATH, options.clone(), schema, None, batch_size)?;
    let mut rows = vec![];
    for batch in reader {
        let batch = batch?;
        for i in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .map(|c| {
                        let strings = c.as_string::<i32>();
                        strings.is_valid(i).then(|| strings.value(i).to_string())
                    })
                    .collect(),
            );
        }
    }
    Ok((names, rows))
}

/// COUNT(*): the rows read with no columns.
fn count_star(data: &[u8], options: &TextOptions, batch_size: usize) -> Result<usize> {
    let schema = if options.extract_header {
        let names = read_header(data, PATH, options)?.names.unwrap_or_default();
        header_schema(&[names])
    } else {
        columns_schema()
    };
    let reader = TextBatchReader::new(
        data,
        PATH,
        options.clone(),
        Arc::new(schema),
        Some(&[]),
        batch_size,
    )?;
    let mut rows = 0;
    for batch in reader {
        rows += batch?.num_rows();
    }
    Ok(rows)
}

/// The records the csv crate reads from `data` with the reader's settings, after the skipped
/// first line when there is one.
fn csv_records(data: &[u8], options: &TextOptions) -> Vec<csv::ByteRecord> {
    let mut records = options
        .reader(data)
        .byte_records()
        .collect::<csv::Result<Vec<_>>>()
        .expect("the csv crate reads any bytes as byte records");
    if options.skip_first_line && !records.is_empty() {
        records.remove(0);
    }
    records
}

/// Bytes that mean something to one setting or another.
const TEXT_BYTES: &[u8] = b",\t|;\"'\\#\r\n a";
/// Parts of two- and three-byte characters, and a byte no UTF-8 has.
const UTF8_PARTS: &[u8] = &[0xc3, 0xa9, 0xe6, 0x97, 0xa5, 0xff];

proptest! {
    #![proptest_config(config(256))]

    /// Without a header, every record's fields read back as `csv::Writer` wrote them.
    #[test]
    fn headerless_fields_read_back_as_written(
        options in options(),
        records in records(),
        style in write_style(),
        batch_size in 1usize..4,
    ) {
        let options = TextOptions { extract_header: false, ..options };
        let records = writable(&records, &options);
        let data = write(&records, &options, style);
        let skipped = usize::from(options.skip_first_line).min(records.len());
        let expected: Vec<Vec<Option<String>>> = records[skipped..]
            .iter()
            .map(|r| r.iter().map(|f| Some(f.clone())).collect())
            .collect();
        prop_assert_eq!(read_columns(&data, &options, batch_size).ok(), Some(expected.clone()));
        prop_assert_eq!(count_star(&data, &options, batch_size).ok(), Some(expected.len()));
    }

    /// With a header, each column holds the field its header names (NULL where a row is
    /// empty or short there).
    #[test]
    fn header_columns_read_back_as_written(
        options in options(),
        suffixes in prop::collection::vec(field(), 1..5),
        first_line in prop::collection::vec(field(), 1..3),
        rows in records(),
        style in write_style(),
        batch_size in 1usize..4,
    ) {
        let options = TextOptions { extract_header: true, ..options };
        // Names a header can hold as they are: distinct (by their `c<i>_` start), not blank.
        let header: Vec<String> = suffixes
            .iter()
            .enumerate()
            .map(|(i, s)| format!("c{i}_{s}"))
            .collect();
        let width = header.len();
        let mut written = vec![];
        if options.skip_first_line {
            written.push(first_line);
        }
        written.push(header);
        written.extend(rows.into_iter().map(|mut r| {
            r.truncate(width);
            r
        }));
        let written = writable(&written, &options);
        let data = write(&written, &options, style);
        let skipped = usize::from(options.skip_first_line);
        let header = &written[skipped];
        let rows = &written[skipped + 1..];
        let names: Vec<String> = header.iter().map(|n| n.trim().to_string()).collect();
        let expected: Vec<Vec<Option<String>>> = rows
            .iter()
            .map(|r| (0..width).map(|i| r.get(i).filter(|f| !f.is_empty()).cloned()).collect())
            .collect();
        prop_assert_eq!(read_named(&data, &options, batch_size).ok(), Some((names, expected)));
        prop_assert_eq!(count_star(&data, &options, batch_size).ok(), Some(rows.len()));
    }

    /// Any bytes: without a header the reader gives the csv crate's records, or, when one of
    /// their fields is not UTF-8, the error naming the first such field and its line; COUNT(*)
    /// counts them all; with a header it fails exactly when a row is wider than the header or
    /// has a field that is not UTF-8. Never a panic.
    #[test]
    fn any_bytes_read_as_the_csv_crate_reads_them(
        options in options(),
        data in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(TEXT_BYTES),
                1 => prop::sample::select(UTF8_PARTS),
                1 => any::<u8>(),
            ],
            0..64,
        ),
        batch_size in 1usize..4,
    ) {
        let records = csv_records(&data, &options);
        if !options.extract_header {
            let first_bad = records.iter().find_map(|r| {
                r.iter()
                    .position(|f| std::str::from_utf8(f).is_err())
                    .map(|field| invalid_utf8(PATH, line_of(r), field).to_string())
            });
            let got = read_columns(&data, &options, batch_size).map_err(|e| e.to_string());
            match first_bad {
                Some(error) => prop_assert_eq!(got, Err(error)),
                None => {
                    let expected: Vec<Vec<Option<String>>> = records
                        .iter()
                        .map(|r| {
                            r.iter()
                                .map(|f| Some(String::from_utf8_lossy(f).into_owned()))
                                .collect()
                        })
                        .collect();
                    prop_assert_eq!(got, Ok(expected));
                }
            }
            prop_assert_eq!(count_star(&data, &options, batch_size).ok(), Some(records.len()));
            return Ok(());
        }
        let Some((header, rows)) = records.split_first() else {
            prop_assert_eq!(read_named(&data, &options, batch_size).ok(), Some((vec![], vec![])));
            return Ok(());
        };
        if header.iter().any(|f| std::str::from_utf8(f).is_err()) {
            prop_assert!(read_header(data.as_slice(), PATH, &options).is_err());
            return Ok(());
        }
        let width = header.len();
        let readable = rows.iter().all(|r| {
            r.len() <= width && r.iter().all(|f| f.is_empty() || std::str::from_utf8(f).is_ok())
        });
        let read = read_named(&data, &options, batch_size);
        prop_assert_eq!(read.is_ok(), readable, "{:?}", read);
        if let Ok((names, read)) = read {
            prop_assert_eq!(names.len(), width);
            prop_assert_eq!(read.len(), rows.len());
        }
        let counted = count_star(&data, &options, batch_size).ok();
        let narrow = rows.iter().all(|r| r.len() <= width);
        prop_assert_eq!(counted, narrow.then_some(rows.len()));
    }
}
