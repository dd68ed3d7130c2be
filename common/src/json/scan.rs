//! A fast, strict scan of one JSON record for the passes that need no values: inference (only
//! the types) and counting (only that the record is valid). It walks the bytes once, with no
//! serde machinery, number parsing or key copies.
//!
//! It accepts a subset of what serde_json accepts. On anything else — invalid input, or valid
//! input it leaves to serde_json (keys with escapes, `\u` surrogates, integers of 19 digits or
//! more, exponents of 3 digits, very deep nesting) — it gives up, and the caller reads the record
//! again with serde_json, which either accepts it or reports the exact error and position.
//! A give-up may leave part of the record merged into an inferred type: that part is below the
//! whole record's type in the lattice, so merging the whole record afterwards gives the same
//! type as merging it alone.

use crate::lattice::InferredType;

/// The scan gave up; serde_json must read this record.
#[derive(Debug, PartialEq)]
pub(crate) struct GiveUp;

type Scan<T> = Result<T, GiveUp>;

/// Deeper than this, serde_json reads the record (its own limit is 127 levels).
const MAX_DEPTH: usize = 100;

/// Merges the type of the object `bytes` into `record`.
pub(crate) fn merge_object(bytes: &[u8], record: &mut InferredType) -> Scan<()> {
    Scanner { data: bytes, i: 0 }.record(Some(record))
}

/// Checks that `bytes` is one valid JSON object.
pub(crate) fn validate_object(bytes: &[u8]) -> Scan<()> {
    Scanner { data: bytes, i: 0 }.record(None)
}

/// Merges the type of the object at the start of `bytes` into `record`; returns its length.
/// What follows the object is not looked at.
pub(crate) fn merge_leading_object(bytes: &[u8], record: &mut InferredType) -> Option<usize> {
    Scanner { data: bytes, i: 0 }
        .leading_object(Some(record))
        .ok()
}

/// The length of the valid JSON object at the start of `bytes`.
pub(crate) fn leading_object(bytes: &[u8]) -> Option<usize> {
    Scanner { data: bytes, i: 0 }.leading_object(None).ok()
}

/// Bytes that end the plain run of a string: the quote, a backslash, control characters and
/// non-ASCII bytes (checked as UTF-8 once the string ends).
static STRING_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b < 0x20 || b >= 0x80 || b == b'"' as usize || b == b'\\' as usize;
        b += 1;
    }
    t
};

struct Scanner<'a> {
    data: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn record(mut self, slot: Option<&mut InferredType>) -> Scan<()> {
        self.skip_whitespace();
        if self.peek()? != b'{' {
            return Err(GiveUp);
        }
        self.value(slot, 0)?;
        self.skip_whitespace();
        if self.i == self.data.len() {
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    fn leading_object(mut self, slot: Option<&mut InferredType>) -> Scan<usize> {
        if self.peek()? != b'{' {
            return Err(GiveUp);
        }
        self.value(slot, 0)?;
        Ok(self.i)
    }

    fn peek(&self) -> Scan<u8> {
        self.data.get(self.i).copied().ok_or(GiveUp)
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.data.get(self.i) {
            self.i += 1;
        }
    }

    /// The next significant byte, consumed.
    fn next_significant(&mut self) -> Scan<u8> {
        self.skip_whitespace();
        let b = self.peek()?;
        self.i += 1;
        Ok(b)
    }

    /// One value; its type is merged into `slot` when there is one. Inlined into the loops of
    /// objects and arrays, so that scalars cost no call.
    #[inline(always)]
    fn value(&mut self, slot: Option<&mut InferredType>, depth: usize) -> Scan<()> {
        self.skip_whitespace();
        match self.peek()? {
            b'{' => self.object(slot, depth + 1),
            b'[' => self.array(slot, depth + 1),
            b'"' => {
                self.string()?;
                merge(slot, &InferredType::String);
                Ok(())
            }
            b'-' | b'0'..=b'9' => {
                let t = self.number()?;
                merge(slot, t);
                Ok(())
            }
            b't' => self.literal(b"true", slot, Some(&InferredType::Boolean)),
            b'f' => self.literal(b"false", slot, Some(&InferredType::Boolean)),
            b'n' => self.literal(b"null", slot, None),
            _ => Err(GiveUp),
        }
    }

    fn literal(
        &mut self,
        word: &[u8],
        slot: Option<&mut InferredType>,
        t: Option<&InferredType>,
    ) -> Scan<()> {
        if !self.data[self.i..].starts_with(word) {
            return Err(GiveUp);
        }
        self.i += word.len();
        if let Some(t) = t {
            merge(slot, t);
        }
        Ok(())
    }

    #[inline(never)]
    fn object(&mut self, slot: Option<&mut InferredType>, depth: usize) -> Scan<()> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.i += 1; // '{'
        let mut fields = slot.and_then(|s| s.merge_struct());
        match self.next_significant()? {
            b'}' => return Ok(()),
            b'"' => self.i -= 1,
            _ => return Err(GiveUp),
        }
        let mut next = 0;
        loop {
            match fields.as_deref_mut() {
                Some(fields) => {
                    // The key where it was in the previous object is tried first.
                    let position = if self.expected_key(fields.plain_name_at(next)) {
                        next
                    } else {
                        let key = self.key()?;
                        // Valid UTF-8: `string` checked any non-ASCII bytes.
                        let key = std::str::from_utf8(key).map_err(|_| GiveUp)?;
                        fields.position_or_insert(key, next)
                    };
                    self.colon()?;
                    next = position + 1;
                    self.value(fields.type_at_mut(position), depth)?;
                }
                None => {
                    self.key()?;
                    self.colon()?;
                    self.value(None, depth)?;
                }
            }
            match self.next_significant()? {
                b',' => {
                    self.skip_whitespace();
                    if self.peek()? != b'"' {
                        return Err(GiveUp);
                    }
                }
                b'}' => return Ok(()),
                _ => return Err(GiveUp),
            }
        }
    }

    #[inline(never)]
    fn array(&mut self, slot: Option<&mut InferredType>, depth: usize) -> Scan<()> {
        if depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        self.i += 1; // '['
        let mut item = slot.and_then(|s| s.merge_list());
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.value(item.as_deref_mut(), depth)?;
            match self.next_significant()? {
                b',' => {}
                b']' => return Ok(()),
                _ => return Err(GiveUp),
            }
        }
    }

    fn colon(&mut self) -> Scan<()> {
        match self.next_significant()? {
            b':' => Ok(()),
            _ => Err(GiveUp),
        }
    }

    /// Whether the key at the opening quote here is `name`, a plain name (no quote, backslash or
    /// control character): then its bytes and a closing quote are the whole key, read here
    /// without the string scan.
    #[inline(always)]
    fn expected_key(&mut self, name: Option<&[u8]>) -> bool {
        let Some(name) = name else {
            return false;
        };
        let start = self.i + 1;
        let end = start + name.len();
        match self.data.get(start..=end) {
            Some(bytes)
                if bytes[name.len()] == b'"' && bytes.iter().zip(name).all(|(a, b)| a == b) =>
            {
                self.i = end + 1;
                true
            }
            _ => false,
        }
    }

    /// An object key without escapes (valid UTF-8).
    fn key(&mut self) -> Scan<&'a [u8]> {
        let start = self.i + 1;
        let escaped = self.string()?;
        if escaped {
            return Err(GiveUp);
        }
        Ok(&self.data[start..self.i - 1])
    }

    /// Skips a string starting at its opening quote; says whether it had escapes.
    #[inline(always)]
    fn string(&mut self) -> Scan<bool> {
        let data = self.data;
        let start = self.i + 1;
        let mut i = start;
        let mut escaped = false;
        let mut ascii = true;
        loop {
            i = skip_plain(data, i);
            match data.get(i).copied().ok_or(GiveUp)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    match data.get(i + 1).copied().ok_or(GiveUp)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                        b'u' => {
                            let hex = data.get(i + 2..i + 6).ok_or(GiveUp)?;
                            let mut code = 0u32;
                            for &h in hex {
                                code = code * 16 + (h as char).to_digit(16).ok_or(GiveUp)?;
                            }
                            if (0xD800..=0xDFFF).contains(&code) {
                                return Err(GiveUp);
                            }
                            i += 6;
                        }
                        _ => return Err(GiveUp),
                    }
                }
                b if b < 0x20 => return Err(GiveUp),
                _ => {
                    ascii = false;
                    i += 1;
                }
            }
        }
        if !ascii && std::str::from_utf8(&data[start..i]).is_err() {
            return Err(GiveUp);
        }
        self.i = i + 1;
        Ok(escaped)
    }

    /// A number, by the JSON grammar: INTEGER if it has no fraction or exponent (and fewer than
    /// 19 digits), else FLOAT.
    fn number(&mut self) -> Scan<&'static InferredType> {
        let data = self.data;
        let mut i = self.i;
        let negative = data[i] == b'-';
        if negative {
            i += 1;
        }
        let digits = |i: &mut usize| {
            let from = *i;
            *i = skip_digits(data, *i);
            *i - from
        };
        // serde_json reads -0 as a float (-0.0), to keep its sign.
        let mut float = false;
        let integer_digits = match data.get(i).copied().ok_or(GiveUp)? {
            b'0' => {
                i += 1;
                float = negative;
                1
            }
            b'1'..=b'9' => digits(&mut i),
            _ => return Err(GiveUp),
        };
        if data.get(i) == Some(&b'.') {
            i += 1;
            if digits(&mut i) == 0 {
                return Err(GiveUp);
            }
            float = true;
        }
        if let Some(b'e' | b'E') = data.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = data.get(i) {
                i += 1;
            }
            // Exponents of 3 digits may be out of range: serde_json decides.
            if !(1..=2).contains(&digits(&mut i)) {
                return Err(GiveUp);
            }
            float = true;
        }
        // Beyond 18 digits an integer may not fit BIGINT, and a float of 200 digits with an
        // exponent may overflow: serde_json decides.
        if (!float && integer_digits > 18) || integer_digits > 200 {
            return Err(GiveUp);
        }
        self.i = i;
        Ok(if float {
            &InferredType::Float
        } else {
            &InferredType::Integer
        })
    }
}

/// The position of the first byte at or after `i` that ends a string's plain run (see
/// `STRING_SPECIAL`), or the end of `data`. Eight bytes at a time: the lowest byte flagged in
/// each mask below is exact (a borrow only reaches bytes above a flagged one), so the lowest
/// flagged byte of their union is the first special byte.
#[inline(always)]
fn skip_plain(data: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    while let Some(chunk) = data.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*chunk);
        let special = zero_byte(w ^ (ONES * u64::from(b'"')))
            | zero_byte(w ^ (ONES * u64::from(b'\\')))
            | (w.wrapping_sub(ONES * 0x20) & !w & HIGH)
            | (w & HIGH);
        if special != 0 {
            return i + (special.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < data.len() && !STRING_SPECIAL[data[i] as usize] {
        i += 1;
    }
    i
}

/// The position of the first byte at or after `i` that is not an ASCII digit, or the end of
/// `data`; eight bytes at a time, each byte tested on its own (no carry or borrow crosses
/// bytes: the arithmetic runs on bytes with their high bit set or cleared first).
#[inline(always)]
fn skip_digits(data: &[u8], mut i: usize) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const ONES: u64 = 0x0101_0101_0101_0101;
    while let Some(chunk) = data.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let w = u64::from_le_bytes(*chunk);
        // High bit set: below '0' (no high bit left after subtracting), above '9' (high bit
        // reached by adding), or non-ASCII.
        let other = (!((w | HIGH) - ONES * u64::from(b'0')) | ((w & LOW) + ONES * 0x46) | w) & HIGH;
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while data.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    i
}

fn merge(slot: Option<&mut InferredType>, t: &InferredType) {
    if let Some(slot) = slot {
        slot.merge_scalar(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::infer::merge_record;

    /// The scan and serde_json agree: same type when the scan finishes, and serde_json
    /// accepts everything the scan accepts.
    fn agree(record: &str) -> Option<InferredType> {
        let mut by_scan = InferredType::Struct(Default::default());
        let scanned = merge_object(record.as_bytes(), &mut by_scan);
        assert_eq!(scanned, validate_object(record.as_bytes()), "{record}");
        let mut by_serde = InferredType::Struct(Default::default());
        let parsed = merge_record(&mut by_serde, record.as_bytes());
        if scanned.is_ok() {
            assert!(
                parsed.is_ok(),
                "the scan accepted what serde_json rejects: {record}"
            );
            assert_eq!(by_scan, by_serde, "{record}");
        }
        scanned.ok().map(|_| by_scan)
    }

    #[test]
    fn types_match_serde() {
        for record in [
            r#"{}"#,
            r#" { "a" : 1 , "b":[1, 2.5e3, -0.1], "c": {"d": null, "e": true}, "f": "x\"\\\u00e9y" } "#,
            r#"{"a": [], "b": [[]], "c": [{}, {"x": 1}], "d": [1, "two"], "e": {"f": [null]}}"#,
            r#"{"s": "héllo wörld 日本", "n": -0, "m": 0.0, "big": 999999999999999999}"#,
            r#"{"a": -5, "b": -0.0, "c": 0, "d": -0e1, "e": -12}"#,
            r#"{"a": 1, "a": "dup"}"#,
            r#"{"a": 1E+5, "b": 1e-7, "c": 1.5E10}"#,
        ] {
            assert!(agree(record).is_some(), "{record}");
        }
    }

    #[test]
    fn invalid_or_unusual_records_go_to_serde() {
        for record in [
            "[1]",
            r#"{"a": 1,}"#,
            r#"{"a": 01}"#,
            r#"{"a": 1.}"#,
            r#"{"a": .5}"#,
            r#"{"a": -}"#,
            r#"{"a": tru}"#,
            r#"{"a": nul}"#,
            r#"{"a" 1}"#,
            r#"{"a": 1"#,
            r#"{"a": "x"#,
            r#"{"a": [1, 2}"#,
            r#"{"a": [1 2]}"#,
            r#"{a: 1}"#,
            r#"{"a": 1} x"#,
            r#"{"a": 1}{"b": 2}"#,
            "{\"a\": \"tab\there\"}",
            r#"{"a": "\x"}"#,
            r#"{"a": "\u12G4"}"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a\nb": 1}"#,
            r#"{"a": 9223372036854775807}"#,
            r#"{"a": 18446744073709551616}"#,
            r#"{"a": 1e400}"#,
            r#"{"a": 1e-400}"#,
            r#"{"a": NaN}"#,
        ] {
            assert_eq!(agree(record), None, "{record}");
        }
        // Invalid UTF-8 inside a string, and in a key.
        let mut record = br#"{"a": "x"#.to_vec();
        record.extend_from_slice(&[0xff, b'"', b'}']);
        assert_eq!(validate_object(&record), Err(GiveUp));
        let mut record = br#"{"#.to_vec();
        record.extend_from_slice(&[b'"', 0xc3, b'"', b':', b'1', b'}']);
        assert_eq!(validate_object(&record), Err(GiveUp));
        // Nesting beyond the scan's depth.
        let deep = format!("{{\"a\": {}1{}}}", "[".repeat(120), "]".repeat(120));
        assert_eq!(validate_object(deep.as_bytes()), Err(GiveUp));
    }

    #[test]
    fn conflicts_merge_like_serde() {
        // Types that conflict across and within records become VARCHAR the same way.
        let records = [
            r#"{"a": 1, "b": [1], "c": {"x": 1}, "d": 1}"#,
            r#"{"a": 2.5, "b": {"y": 2}, "c": [1, 2], "d": "s"}"#,
            r#"{"a": true, "b": [{"z": 1}], "c": null, "e": [1, [2]]}"#,
        ];
        let mut by_scan = InferredType::Struct(Default::default());
        let mut by_serde = InferredType::Struct(Default::default());
        for record in records {
            merge_object(record.as_bytes(), &mut by_scan).unwrap();
            merge_record(&mut by_serde, record.as_bytes()).unwrap();
        }
        assert_eq!(by_scan, by_serde);
    }

    #[test]
    fn a_give_up_then_serde_equals_serde_alone() {
        // The scan gives up at the long integer, after merging part of the record.
        let before = r#"{"a": {"b": [1, 2]}, "c": "x"}"#;
        let record =
            r#"{"a": {"b": [1.5], "n": {"m": 1}}, "z": [3, 12345678901234567890], "c": "y"}"#;
        let mut mixed = InferredType::Struct(Default::default());
        merge_object(before.as_bytes(), &mut mixed).unwrap();
        assert_eq!(merge_object(record.as_bytes(), &mut mixed), Err(GiveUp));
        merge_record(&mut mixed, record.as_bytes()).unwrap();
        let mut alone = InferredType::Struct(Default::default());
        merge_record(&mut alone, before.as_bytes()).unwrap();
        merge_record(&mut alone, record.as_bytes()).unwrap();
        assert_eq!(mixed, alone);
    }

    #[test]
    fn runs_end_at_the_first_byte_not_in_them() {
        // Every byte value at every offset of a run, against the byte table.
        for b in 0..=255u8 {
            for at in 0..20 {
                for start in [0, 3] {
                    let mut data = vec![b'a'; 24];
                    data[at] = b;
                    let naive = (start..data.len())
                        .find(|&i| STRING_SPECIAL[data[i] as usize])
                        .unwrap_or(data.len());
                    assert_eq!(skip_plain(&data, start), naive, "byte {b:#x} at {at}");
                }
            }
        }
        assert_eq!(skip_plain(b"abc", 0), 3);
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut data = vec![b'7'; 24];
                data[at] = b;
                let naive = data.iter().position(|c| !c.is_ascii_digit()).unwrap_or(24);
                assert_eq!(skip_digits(&data, 0), naive, "byte {b:#x} at {at}");
            }
        }
        assert_eq!(skip_digits(b"0123456789", 0), 10);
    }

    #[test]
    fn keys_matched_by_name_are_still_checked() {
        // Names read by serde_json from escaped keys may hold a quote, a backslash or a
        // control character: such a name is never matched against raw bytes, where those bytes
        // mean something else (the end of the key, an escape, an invalid record).
        for (first, second) in [
            (r#"{"x\"": 1}"#, r#"{"x"": 2}"#),
            (r#"{"a\\b": 1}"#, r#"{"a\b": 2}"#),
            (r#"{"a\nb": 1}"#, "{\"a\nb\": 2}"),
        ] {
            let mut t = InferredType::Struct(Default::default());
            merge_record(&mut t, first.as_bytes()).unwrap();
            assert_eq!(
                merge_object(second.as_bytes(), &mut t),
                Err(GiveUp),
                "{second}"
            );
        }
        // Plain names match where they were, and a key that only starts like one is its own.
        let mut by_scan = InferredType::Struct(Default::default());
        let mut by_serde = InferredType::Struct(Default::default());
        for record in [
            r#"{"ab": 1, "c": {"d": 1}}"#,
            r#"{"ab": 2.5, "c": {"d": "x"}}"#,
            r#"{"abc": 1, "a": true, "c": {"dd": 1}}"#,
            r#"{"ab": null}"#,
        ] {
            merge_object(record.as_bytes(), &mut by_scan).unwrap();
            merge_record(&mut by_serde, record.as_bytes()).unwrap();
        }
        assert_eq!(by_scan, by_serde);
    }
}
