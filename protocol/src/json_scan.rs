//! A small JSON scanner for the header decoder: strings (unescaped straight
//! into a caller's buffer, or borrowed when they hold no escape), numbers as
//! their text, literals, and skipping of values the decoder does not model.
//!
//! It works on text already checked to be UTF-8; every position it slices
//! at is next to an ASCII structural byte, so slices fall on char
//! boundaries. It is lenient where real clients are sloppy (raw control
//! characters and lone surrogates inside strings are accepted, the latter as
//! U+FFFD) and strict about structure. Errors are `serde_json::Error`s so
//! the codec's error type stays what it was.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::Error as _;

/// Deepest nesting of a skipped value.
const MAX_DEPTH: usize = 128;

/// Index of the first `"` or `\\` in `b` at or after `from` (`b.len()` if
/// none), eight bytes at a time: string contents are most of a header.
pub(crate) fn quote_or_backslash(b: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `x` equal to `c`; the lowest one set is
    // exact (borrows only run upwards), which is all we use.
    let eq = |x: u64, c: u8| {
        let y = x ^ (ONES * c as u64);
        y.wrapping_sub(ONES) & !y & HIGHS
    };
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let hits = eq(x, b'"') | eq(x, b'\\');
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != b'"' && b[i] != b'\\' {
        i += 1;
    }
    i
}

/// A literal `true`, `false` or `null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Literal {
    True,
    False,
    Null,
}

/// What [`Scanner::string_start`] found.
enum StringStart {
    /// No escape: the string's text (a range of the scanned text); the
    /// cursor is past the closing quote.
    Plain(Range<usize>),
    /// The first escape is at byte `at`; the cursor stays just after the
    /// opening quote, for [`Scanner::rest_of_string_into`].
    Escaped {
        /// Offset of the first backslash.
        at: usize,
    },
}

/// A cursor over JSON text.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub(crate) fn new(text: &'a str) -> Self {
        Scanner { text, pos: 0 }
    }

    /// A scanner at byte `pos` of `text` (a char boundary).
    pub(crate) fn at(text: &'a str, pos: usize) -> Self {
        Scanner { text, pos }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// An error naming what was expected and where.
    #[cold]
    #[inline(never)]
    pub(crate) fn err(&self, what: &str) -> serde_json::Error {
        serde_json::Error::custom(format!("{what} at byte {}", self.pos))
    }

    /// Skips JSON whitespace.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        // Headers from real clients carry no whitespace: test the next byte
        // before looping.
        match self.bytes().get(self.pos) {
            Some(&c) if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') => Some(c),
            _ => {
                self.skip_ws();
                self.bytes().get(self.pos).copied()
            }
        }
    }

    /// Consumes `b` (after whitespace) if it is next.
    #[inline]
    pub(crate) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `b` (after whitespace) or fails.
    #[inline]
    pub(crate) fn expect(&mut self, b: u8) -> Result<(), serde_json::Error> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(self.expected(b))
        }
    }

    #[cold]
    #[inline(never)]
    fn expected(&self, b: u8) -> serde_json::Error {
        self.err(&format!("expected '{}'", b as char))
    }

    /// True when only whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// Parses a string (after whitespace), borrowed when it has no escape.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>, serde_json::Error> {
        match self.string_start()? {
            StringStart::Plain(text) => Ok(Cow::Borrowed(&self.text[text])),
            StringStart::Escaped { at } => {
                let mut out = String::with_capacity(at - self.pos + 16);
                self.rest_of_string_into(&mut out)?;
                Ok(Cow::Owned(out))
            }
        }
    }

    /// Parses a string (after whitespace) into a range of `out`, which
    /// starts with a copy of this scanner's text: the string's own bytes
    /// when it holds no escape, else its unescaped text appended to `out`.
    pub(crate) fn string_span(
        &mut self,
        out: &mut String,
    ) -> Result<Range<usize>, serde_json::Error> {
        match self.string_start()? {
            StringStart::Plain(text) => Ok(text),
            StringStart::Escaped { .. } => {
                let from = out.len();
                self.rest_of_string_into(out)?;
                Ok(from..out.len())
            }
        }
    }

    /// The fast path of [`Self::string`] and [`Self::string_span`]: consumes
    /// the opening quote (after whitespace) and finds the closing one when
    /// no escape comes first, without copying or allocating. Always inlined:
    /// it is the whole of the common case.
    #[inline(always)]
    fn string_start(&mut self) -> Result<StringStart, serde_json::Error> {
        self.expect(b'"')?;
        let start = self.pos;
        let b = self.bytes();
        let i = quote_or_backslash(b, start);
        match b.get(i) {
            Some(b'"') => {
                self.pos = i + 1;
                Ok(StringStart::Plain(start..i))
            }
            Some(_) => Ok(StringStart::Escaped { at: i }),
            None => Err(self.err("unterminated string")),
        }
    }

    /// The cursor (a byte offset into the text).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Unescapes from just after the opening quote through the closing one.
    fn rest_of_string_into(&mut self, out: &mut String) -> Result<(), serde_json::Error> {
        let b = self.bytes();
        loop {
            let start = self.pos;
            let i = quote_or_backslash(b, start);
            out.push_str(&self.text[start..i]);
            self.pos = i;
            match b.get(i) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => self.escape_into(out)?,
                None => return Err(self.err("unterminated string")),
            }
        }
    }

    /// Decodes the escape at the cursor (a backslash).
    fn escape_into(&mut self, out: &mut String) -> Result<(), serde_json::Error> {
        let Some(&e) = self.bytes().get(self.pos + 1) else {
            return Err(self.err("unterminated escape"));
        };
        self.pos += 2;
        let c = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => self.unicode_escape()?,
            _ => return Err(self.err("invalid escape")),
        };
        out.push(c);
        Ok(())
    }

    /// The char of a `\uXXXX` escape (cursor just past the `u`), joining a
    /// surrogate pair; a lone surrogate becomes U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, serde_json::Error> {
        let hi = self.hex4()?;
        if !(0xD800..0xDC00).contains(&hi) {
            return Ok(char::from_u32(hi).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
        let b = self.bytes();
        if b.get(self.pos) == Some(&b'\\') && b.get(self.pos + 1) == Some(&b'u') {
            let save = self.pos;
            self.pos += 2;
            let lo = self.hex4()?;
            if (0xDC00..0xE000).contains(&lo) {
                let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER));
            }
            self.pos = save;
        }
        Ok(char::REPLACEMENT_CHARACTER)
    }

    fn hex4(&mut self) -> Result<u32, serde_json::Error> {
        let digits = self
            .bytes()
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("short \\u escape"))?;
        let mut v = 0;
        for &d in digits {
            let n = (d as char)
                .to_digit(16)
                .ok_or_else(|| self.err("invalid \\u escape"))?;
            v = v * 16 + n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// The text of a number (after whitespace), checked against JSON's
    /// grammar.
    pub(crate) fn number(&mut self) -> Result<&'a str, serde_json::Error> {
        self.skip_ws();
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        if !digits(&mut i) {
            return Err(self.err("invalid number"));
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !digits(&mut i) {
                return Err(self.err("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            if !digits(&mut i) {
                return Err(self.err("invalid number"));
            }
        }
        self.pos = i;
        Ok(&self.text[start..i])
    }

    /// A literal `true`, `false` or `null` (after whitespace).
    pub(crate) fn literal(&mut self) -> Result<Literal, serde_json::Error> {
        self.skip_ws();
        let rest = &self.bytes()[self.pos..];
        let (lit, len) = if rest.starts_with(b"true") {
            (Literal::True, 4)
        } else if rest.starts_with(b"false") {
            (Literal::False, 5)
        } else if rest.starts_with(b"null") {
            (Literal::Null, 4)
        } else {
            return Err(self.err("expected a value"));
        };
        self.pos += len;
        Ok(lit)
    }

    /// Skips one value of any type (after whitespace) and returns its text.
    pub(crate) fn skip_value(&mut self) -> Result<&'a str, serde_json::Error> {
        self.skip_ws();
        let start = self.pos;
        match self.bytes().get(self.pos) {
            Some(b'"') => {
                self.skip_string()?;
            }
            Some(b'{' | b'[') => self.skip_container()?,
            Some(b't' | b'f' | b'n') => {
                self.literal()?;
            }
            Some(_) => {
                self.number()?;
            }
            None => return Err(self.err("expected a value")),
        }
        Ok(&self.text[start..self.pos])
    }

    fn skip_string(&mut self) -> Result<(), serde_json::Error> {
        let b = self.bytes();
        let mut i = self.pos + 1;
        loop {
            match b.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return Ok(());
                }
                Some(b'\\') => i += 2,
                Some(_) => i += 1,
                None => {
                    self.pos = b.len();
                    return Err(self.err("unterminated string"));
                }
            }
        }
    }

    /// Skips an object or array, checking that brackets match and nesting
    /// stays below [`MAX_DEPTH`]; scalars inside are skipped by type.
    fn skip_container(&mut self) -> Result<(), serde_json::Error> {
        let mut closers: Vec<u8> = Vec::new();
        loop {
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if closers.len() >= MAX_DEPTH {
                        return Err(self.err("nesting too deep"));
                    }
                    closers.push(if open == b'{' { b'}' } else { b']' });
                    self.pos += 1;
                    continue;
                }
                Some(close @ (b'}' | b']')) => {
                    if closers.pop() != Some(close) {
                        return Err(self.err("mismatched bracket"));
                    }
                    self.pos += 1;
                }
                Some(b',' | b':') => {
                    self.pos += 1;
                    continue;
                }
                Some(b'"') => self.skip_string()?,
                Some(b't' | b'f' | b'n') => {
                    self.literal()?;
                }
                Some(_) => {
                    self.number()?;
                }
                None => return Err(self.err("unterminated value")),
            }
            if closers.is_empty() {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_quotes_and_backslashes_at_every_position() {
        for len in 0..40 {
            for at in 0..=len {
                for c in [b'"', b'\\'] {
                    let mut b = vec![b'a'; len];
                    if at < len {
                        b[at] = c;
                    }
                    // Bytes that differ from the targets by one bit.
                    if at + 1 < len {
                        b[at + 1] = b'#';
                    }
                    for from in 0..=at.min(len) {
                        assert_eq!(quote_or_backslash(&b, from), at, "{len} {at} {from}");
                    }
                }
            }
        }
        assert_eq!(quote_or_backslash("é\"".as_bytes(), 0), 2);
        assert_eq!(
            quote_or_backslash(&[0x22 ^ 0x80, 0x5c ^ 0x01, 0xa2, 0xdc], 0),
            4
        );
    }

    #[test]
    fn strings_numbers_and_skips() {
        let mut s = Scanner::new(
            r#" "plain" "a\"b\u0001\ud83d\ude00\ud800x" -1.5e3 true [1,{"k":[null]},"]"] 7"#,
        );
        assert!(matches!(s.string().unwrap(), Cow::Borrowed("plain")));
        assert_eq!(s.string().unwrap(), "a\"b\u{1}\u{1F600}\u{FFFD}x");
        assert_eq!(s.number().unwrap(), "-1.5e3");
        assert_eq!(s.literal().unwrap(), Literal::True);
        assert_eq!(s.skip_value().unwrap(), r#"[1,{"k":[null]},"]"]"#);
        assert_eq!(s.number().unwrap(), "7");
        assert!(s.at_end());
        for bad in [r#""open"#, "-", "1.", "[1,{]", "[[", "nul", "}"] {
            let mut s = Scanner::new(bad);
            assert!(s.skip_value().is_err(), "{bad}");
        }
        for bad in [r#""\x""#, r#""\u12""#, r#""open"#, "7"] {
            let mut s = Scanner::new(bad);
            assert!(s.string().is_err(), "{bad}");
        }
    }
}
