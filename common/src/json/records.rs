//! Finds the top-level records of a JSON file without parsing them: a stream of values (one per
//! line, or pretty-printed over many lines), or one top-level array of records. Reads in
//! chunks, so memory stays bounded by the largest record, and knows the line and column where
//! each record starts, so errors can name them.

use std::io::Read;

use crate::error::{Error, FilePosition, Result};

pub(crate) const INITIAL_CHUNK: usize = 1 << 20;

/// One top-level value, as raw bytes, with where it starts in the file.
#[derive(Debug)]
pub struct RawRecord<'a> {
    pub bytes: &'a [u8],
    pub line: u64,
    pub column: u64,
}

/// A record found by [`RecordSplitter::next_record_scanned`].
#[derive(Debug)]
pub enum Found<'a> {
    /// The scan read the whole record.
    Scanned,
    /// The scan did not: the record's bytes, for the caller to read.
    Raw(RawRecord<'a>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    /// Nothing but whitespace read so far.
    Unknown,
    /// Values one after another (newline-delimited JSON, or concatenated objects).
    Stream,
    /// Inside a top-level array; `expect_value` is false right after an element.
    Array { expect_value: bool, first: bool },
    /// The top-level array was closed.
    Done,
}

enum Scan {
    /// The value ends just before this index.
    Complete(usize),
    /// The buffer ends before the value does.
    NeedMore,
}

pub struct RecordSplitter<R> {
    reader: R,
    path: String,
    buf: Vec<u8>,
    /// Unconsumed data is `buf[pos..len]`.
    pos: usize,
    len: usize,
    eof: bool,
    layout: Layout,
    /// 1-based line and column of `buf[pos]`.
    line: u64,
    column: u64,
    chunk: usize,
}

impl<R: Read> RecordSplitter<R> {
    pub fn new(reader: R, path: impl Into<String>) -> Self {
        Self {
            reader,
            path: path.into(),
            buf: Vec::new(),
            pos: 0,
            len: 0,
            eof: false,
            layout: Layout::Unknown,
            line: 1,
            column: 1,
            chunk: INITIAL_CHUNK,
        }
    }

    /// Reads `chunk` bytes at a time at first, so that tests of small inputs reach the refills.
    #[cfg(test)]
    pub(crate) fn with_chunk(mut self, chunk: usize) -> Self {
        self.chunk = chunk.max(1);
        self
    }

    fn error(&self, line: u64, column: u64, message: impl Into<String>) -> Error {
        Error::InvalidJson {
            position: FilePosition::at(&self.path, line, Some(column)),
            message: message.into(),
        }
    }

    /// Moves unconsumed bytes to the front and reads more. Returns false at end of input.
    fn fill(&mut self) -> Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.pos = 0;
        }
        if self.buf.len() < self.len + self.chunk {
            self.buf.resize(self.len + self.chunk, 0);
        }
        let mut read_any = false;
        while self.len < self.buf.len() {
            let n = loop {
                match self.reader.read(&mut self.buf[self.len..]) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(Error::Io {
                            path: self.path.clone(),
                            message: e.to_string(),
                        });
                    }
                }
            };
            if n == 0 {
                self.eof = true;
                break;
            }
            self.len += n;
            read_any = true;
        }
        Ok(read_any)
    }

    fn advance(&mut self, n: usize) {
        let bytes = &self.buf[self.pos..self.pos + n];
        match memchr::memrchr(b'\n', bytes) {
            None => self.column += n as u64,
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', bytes).count() as u64;
                self.column = (n - last) as u64;
            }
        }
        self.pos += n;
    }

    /// Skips whitespace; returns the next byte, or None at end of input.
    fn peek_significant(&mut self) -> Result<Option<u8>> {
        loop {
            while self.pos < self.len {
                let b = self.buf[self.pos];
                if b.is_ascii_whitespace() {
                    self.advance(1);
                } else {
                    return Ok(Some(b));
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// The next top-level record, or None at the end of the file.
    pub fn next_record(&mut self) -> Result<Option<RawRecord<'_>>> {
        if !self.next_start()? {
            return Ok(None);
        }
        self.take_value()
    }

    /// The next top-level record, or None at the end of the file. `scan` is tried first on the
    /// bytes buffered from the start of an object record: it returns the record's length when
    /// it has read the whole record itself. Otherwise (it gave up, or the record goes on past
    /// what is buffered) the record is found by its brackets and returned raw for the caller
    /// to read; one pass over the bytes instead of two for most records.
    pub fn next_record_scanned(
        &mut self,
        scan: impl FnOnce(&[u8]) -> Option<usize>,
    ) -> Result<Option<Found<'_>>> {
        if !self.next_start()? {
            return Ok(None);
        }
        if self.buf[self.pos] == b'{'
            && let Some(n) = scan(&self.buf[self.pos..self.len])
        {
            self.advance(n);
            return Ok(Some(Found::Scanned));
        }
        Ok(self.take_value()?.map(Found::Raw))
    }

    /// Moves to the start of the next record; false at the end of the file.
    fn next_start(&mut self) -> Result<bool> {
        loop {
            let Some(b) = self.peek_significant()? else {
                return match self.layout {
                    Layout::Array { .. } => Err(self.error(
                        self.line,
                        self.column,
                        "unexpected end of file: the top-level array is not closed with ']'",
                    )),
                    _ => Ok(false),
                };
            };
            match self.layout {
                Layout::Unknown => {
                    if b == b'[' {
                        self.layout = Layout::Array {
                            expect_value: true,
                            first: true,
                        };
                        self.advance(1);
                    } else {
                        self.layout = Layout::Stream;
                    }
                    continue;
                }
                Layout::Done => {
                    return Err(self.error(
                        self.line,
                        self.column,
                        format!(
                            "unexpected '{}' after the end of the top-level array",
                            b as char
                        ),
                    ));
                }
                Layout::Array {
                    expect_value: false,
                    ..
                } => {
                    match b {
                        b',' => {
                            self.layout = Layout::Array {
                                expect_value: true,
                                first: false,
                            };
                            self.advance(1);
                        }
                        b']' => {
                            self.layout = Layout::Done;
                            self.advance(1);
                        }
                        other => {
                            return Err(self.error(
                                self.line,
                                self.column,
                                format!(
                                    "expected ',' or ']' between records of the top-level array, found '{}'",
                                    other as char
                                ),
                            ));
                        }
                    }
                    continue;
                }
                Layout::Array {
                    expect_value: true,
                    first,
                } => {
                    if b == b']' && first {
                        self.layout = Layout::Done;
                        self.advance(1);
                        continue;
                    }
                    self.layout = Layout::Array {
                        expect_value: false,
                        first: false,
                    };
                }
                Layout::Stream => {}
            }
            return Ok(true);
        }
    }

    fn take_value(&mut self) -> Result<Option<RawRecord<'_>>> {
        let in_array = matches!(self.layout, Layout::Array { .. });
        loop {
            match scan_value(&self.buf[self.pos..self.len], in_array, self.eof) {
                Scan::Complete(n) => {
                    let (line, column) = (self.line, self.column);
                    let start = self.pos;
                    self.advance(n);
                    return Ok(Some(RawRecord {
                        bytes: &self.buf[start..start + n],
                        line,
                        column,
                    }));
                }
                Scan::NeedMore => {
                    if self.eof {
                        // An unterminated value: hand back what there is, so the parser
                        // reports exactly where it breaks off.
                        let (line, column) = (self.line, self.column);
                        let (start, n) = (self.pos, self.len - self.pos);
                        self.advance(n);
                        return Ok(Some(RawRecord {
                            bytes: &self.buf[start..start + n],
                            line,
                            column,
                        }));
                    }
                    // The record is bigger than what is buffered: read in larger chunks so
                    // that rescanning stays linear overall.
                    if self.len - self.pos >= self.chunk / 2 {
                        self.chunk *= 2;
                    }
                    self.fill()?;
                }
            }
        }
    }
}

/// Finds the end of the value starting at `data[0]`.
///
/// Objects and arrays end at the bracket that balances the first one. A raw newline inside a
/// string cannot occur in valid JSON, so it ends a broken record there: a malformed line costs
/// that line only, not the rest of the file. Scalars end at whitespace (or `,`/`]` in an array).
fn scan_value(data: &[u8], in_array: bool, eof: bool) -> Scan {
    let Some(&first) = data.first() else {
        return Scan::NeedMore;
    };
    if first != b'{' && first != b'[' {
        let end = data
            .iter()
            .position(|&b| b.is_ascii_whitespace() || (in_array && (b == b',' || b == b']')));
        return match end {
            Some(n) => Scan::Complete(n),
            None if eof => Scan::Complete(data.len()),
            None => Scan::NeedMore,
        };
    }
    let mut depth = 0usize;
    let mut i = 0;
    loop {
        // Runs of bytes that are neither brackets nor quotes are skipped a byte at a time
        // through a table; strings likewise up to their quote, backslash or newline.
        while i < data.len() && !STRUCTURAL[data[i] as usize] {
            i += 1;
        }
        let Some(&b) = data.get(i) else {
            return Scan::NeedMore;
        };
        match b {
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Scan::Complete(i + 1);
                }
            }
            _ => {
                // A string.
                i += 1;
                loop {
                    while i < data.len() && !IN_STRING[data[i] as usize] {
                        i += 1;
                    }
                    match data.get(i) {
                        None => return Scan::NeedMore,
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(_) => return Scan::Complete(i),
                    }
                }
            }
        }
        i += 1;
    }
}

/// The bytes that matter to `scan_value` outside strings, and inside them.
static STRUCTURAL: [bool; 256] = byte_set(b"{}[]\"");
static IN_STRING: [bool; 256] = byte_set(b"\"\\\n");

const fn byte_set(bytes: &[u8]) -> [bool; 256] {
    let mut set = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(input: &str) -> Result<Vec<(String, u64, u64)>> {
        let mut s = RecordSplitter::new(input.as_bytes(), "t.json");
        s.chunk = 4; // exercise refills
        let mut out = vec![];
        while let Some(r) = s.next_record()? {
            out.push((
                String::from_utf8_lossy(r.bytes).into_owned(),
                r.line,
                r.column,
            ));
        }
        Ok(out)
    }

    #[test]
    fn newline_delimited_and_pretty_printed() -> Result<()> {
        let got = records("{\"a\": 1}\n\n  {\"b\": \"x}\\\"\"}\n{\n \"c\": [1, {\"d\": 2}]\n}\n")?;
        assert_eq!(
            got,
            vec![
                ("{\"a\": 1}".into(), 1, 1),
                ("{\"b\": \"x}\\\"\"}".into(), 3, 3),
                ("{\n \"c\": [1, {\"d\": 2}]\n}".into(), 4, 1),
            ]
        );
        Ok(())
    }

    #[test]
    fn top_level_array() -> Result<()> {
        let got = records(" [ {\"a\":1},\n{\"a\":2} ]\n")?;
        assert_eq!(
            got,
            vec![("{\"a\":1}".into(), 1, 4), ("{\"a\":2}".into(), 2, 1)]
        );
        assert!(records("[]")?.is_empty());
        assert!(records("[{\"a\":1}").is_err());
        assert!(records("[{\"a\":1} {\"a\":2}]").is_err());
        Ok(())
    }

    #[test]
    fn scanned_records_keep_positions() -> Result<()> {
        let input = "{\"a\": 1}\n{\"b\": [1,\n 2]}\n  {\"c\": bad}\n{\"d\": 4}\n";
        for chunk in [4, INITIAL_CHUNK] {
            let mut s = RecordSplitter::new(input.as_bytes(), "t.json");
            s.chunk = chunk;
            let mut got = vec![];
            while let Some(found) = s.next_record_scanned(crate::json::scan::leading_object)? {
                got.push(match found {
                    Found::Scanned => "scanned".to_string(),
                    Found::Raw(r) => {
                        format!(
                            "{}:{}:{}",
                            r.line,
                            r.column,
                            String::from_utf8_lossy(r.bytes)
                        )
                    }
                });
            }
            let bad = "4:3:{\"c\": bad}".to_string();
            if chunk == INITIAL_CHUNK {
                assert_eq!(got, vec!["scanned", "scanned", &bad, "scanned"]);
            } else {
                // Records longer than the buffer are found by brackets and returned raw.
                assert_eq!(got.len(), 4);
                assert_eq!(got[2], bad);
            }
        }
        Ok(())
    }

    #[test]
    fn broken_string_ends_at_newline() -> Result<()> {
        let got = records("{\"a\": \"oops\n{\"a\": 2}\n")?;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, "{\"a\": \"oops");
        assert_eq!(got[1], ("{\"a\": 2}".into(), 2, 1));
        Ok(())
    }
}
