//! `restringify`: one pass over JSON text, writing `JSON.stringify(JSON.parse(text))` as it
//! goes. Iterative, so nesting costs heap (bounded by [`crate::MAX_DEPTH`]), never stack.

use alloc::vec::Vec;

use crate::Error;
use crate::number::write_number_text;
use crate::writer::Writer;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Array,
    Object,
}

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

fn invalid(offset: usize, reason: &'static str) -> Error {
    Error::InvalidJson { offset, reason }
}

impl<'t> Parser<'t> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// JSON whitespace only: space, tab, LF, CR (`JSON.parse` rejects NBSP, BOM and the rest).
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn next_significant(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    fn expect_literal(&mut self, literal: &'static str, w: &mut Writer) -> Result<(), Error> {
        if self.bytes[self.pos..].starts_with(literal.as_bytes()) {
            self.pos += literal.len();
            w.write_raw(literal);
            Ok(())
        } else {
            Err(invalid(self.pos, "expected a value"))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self, w: &mut Writer) -> Result<(), Error> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        match self.digits() {
            0 => return Err(invalid(self.pos, "expected a digit")),
            1 => {}
            _ if self.bytes[int_start] == b'0' => {
                return Err(invalid(int_start, "leading zero in a number"));
            }
            _ => {}
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = false;
            if self.digits() == 0 {
                return Err(invalid(
                    self.pos,
                    "expected a digit after the decimal point",
                ));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(invalid(self.pos, "expected a digit in the exponent"));
            }
        }
        write_number_text(w, &self.text[start..self.pos], integer, start)
    }

    /// Four hex digits at `at`, as a UTF-16 code unit.
    fn hex4(&self, at: usize) -> Option<u16> {
        let hex = self.bytes.get(at..at + 4)?;
        let mut unit = 0u16;
        for &b in hex {
            let digit = (b as char).to_digit(16)?;
            unit = unit << 4 | digit as u16;
        }
        Some(unit)
    }

    /// A string token (at its opening quote), written back with JavaScript's escapes: escaped
    /// characters that need no escape are written raw, a `\uD83D\uDE00` pair as the one
    /// character it encodes, a lone surrogate as a lowercase `\ud800` escape.
    fn string(&mut self, w: &mut Writer) -> Result<(), Error> {
        let open = self.pos;
        self.pos += 1;
        w.write_raw("\"");
        let mut run = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(invalid(open, "unterminated string"));
            };
            match b {
                b'"' => {
                    w.write_raw(&self.text[run..self.pos]);
                    self.pos += 1;
                    w.write_raw("\"");
                    return Ok(());
                }
                b'\\' => {
                    w.write_raw(&self.text[run..self.pos]);
                    self.escape(w)?;
                    run = self.pos;
                }
                0x00..=0x1f => {
                    return Err(invalid(self.pos, "unescaped control character in a string"));
                }
                _ => self.pos += 1,
            }
        }
    }

    /// One escape sequence at a backslash.
    fn escape(&mut self, w: &mut Writer) -> Result<(), Error> {
        let at = self.pos;
        let Some(kind) = self.bytes.get(at + 1).copied() else {
            return Err(invalid(at, "unterminated string"));
        };
        self.pos += 2;
        match kind {
            b'"' | b'\\' | b'/' => w.write_char(char::from(kind)),
            b'b' => w.write_char('\u{8}'),
            b'f' => w.write_char('\u{c}'),
            b'n' => w.write_char('\n'),
            b'r' => w.write_char('\r'),
            b't' => w.write_char('\t'),
            b'u' => {
                let unit = self
                    .hex4(at + 2)
                    .ok_or_else(|| invalid(at, "expected four hex digits after \\u"))?;
                self.pos += 4;
                match unit {
                    0xd800..=0xdbff => {
                        let low = match self.bytes.get(self.pos..self.pos + 2) {
                            Some(b"\\u") => self.hex4(self.pos + 2),
                            _ => None,
                        };
                        match low {
                            Some(low @ 0xdc00..=0xdfff) => {
                                self.pos += 6;
                                let c = 0x10000
                                    + ((u32::from(unit) - 0xd800) << 10)
                                    + (u32::from(low) - 0xdc00);
                                w.write_char(
                                    char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER),
                                );
                            }
                            _ => w.write_unit_escape(unit),
                        }
                    }
                    0xdc00..=0xdfff => w.write_unit_escape(unit),
                    _ => w.write_char(
                        char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
                    ),
                }
            }
            _ => return Err(invalid(at, "invalid escape in a string")),
        }
        Ok(())
    }

    fn key(&mut self, w: &mut Writer) -> Result<(), Error> {
        if self.next_significant() != Some(b'"') {
            return Err(invalid(self.pos, "expected a string key"));
        }
        let start = w.key_start();
        self.string(w)?;
        w.key_end(start);
        if self.next_significant() != Some(b':') {
            return Err(invalid(self.pos, "expected ':' after a key"));
        }
        self.pos += 1;
        Ok(())
    }
}

/// Parses `text` and writes it in JSON.stringify form into `w`.
pub(crate) fn restringify_into(text: &str, w: &mut Writer) -> Result<(), Error> {
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut open: Vec<Open> = Vec::new();
    'value: loop {
        // A value starts here.
        let Some(b) = p.next_significant() else {
            return Err(invalid(
                p.pos,
                "expected a value, found the end of the text",
            ));
        };
        match b {
            b'{' => {
                w.begin_object(p.pos)?;
                p.pos += 1;
                open.push(Open::Object);
                if p.next_significant() == Some(b'}') {
                    p.pos += 1;
                    open.pop();
                    w.end_object();
                } else {
                    p.key(w)?;
                    continue 'value;
                }
            }
            b'[' => {
                w.begin_array(p.pos)?;
                p.pos += 1;
                open.push(Open::Array);
                if p.next_significant() == Some(b']') {
                    p.pos += 1;
                    open.pop();
                    w.end_array();
                } else {
                    w.array_element();
                    continue 'value;
                }
            }
            b'"' => p.string(w)?,
            b'-' | b'0'..=b'9' => p.number(w)?,
            b't' => p.expect_literal("true", w)?,
            b'f' => p.expect_literal("false", w)?,
            b'n' => p.expect_literal("null", w)?,
            _ => return Err(invalid(p.pos, "expected a value")),
        }
        // A value has ended: close containers until one continues with another member.
        loop {
            let Some(&container) = open.last() else {
                if p.next_significant().is_some() {
                    return Err(invalid(p.pos, "unexpected text after the JSON value"));
                }
                return Ok(());
            };
            match (container, p.next_significant()) {
                (_, Some(b',')) => {
                    p.pos += 1;
                    match container {
                        Open::Object => p.key(w)?,
                        Open::Array => w.array_element(),
                    }
                    continue 'value;
                }
                (Open::Object, Some(b'}')) => {
                    p.pos += 1;
                    open.pop();
                    w.end_object();
                }
                (Open::Array, Some(b']')) => {
                    p.pos += 1;
                    open.pop();
                    w.end_array();
                }
                (Open::Object, _) => return Err(invalid(p.pos, "expected ',' or '}'")),
                (Open::Array, _) => return Err(invalid(p.pos, "expected ',' or ']'")),
            }
        }
    }
}
