//! The output side shared by `stringify` and `restringify`: compact JSON text with JavaScript's
//! string escapes, number forms and object key order.

use alloc::borrow::ToOwned;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::ops::Range;

use crate::Error;
use crate::{MAX_DEPTH, Mode, Warning, WarningKind, number};

/// `1` where a byte inside a string must be escaped: C0 controls, `"` and `\`. Everything else,
/// DEL, U+2028/2029 and all non-ASCII included, is written raw, as `JSON.stringify` does.
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = true;
        i += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Whether any of the eight bytes is below 0x20, `"` or `\\` (it may say yes when none is,
/// never no when one is: the caller then looks at each byte).
fn word_needs_escape(x: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    let q = x ^ (ONES * u64::from(b'"'));
    let quote = q.wrapping_sub(ONES) & !q & HIGH;
    let b = x ^ (ONES * u64::from(b'\\'));
    let backslash = b.wrapping_sub(ONES) & !b & HIGH;
    below_space | quote | backslash != 0
}

/// Where a quoted key sits in the output, and a one-byte digest to find duplicates quickly.
#[derive(Clone, Copy)]
struct KeySpan {
    start: usize,
    end: usize,
    digest: u8,
}

#[derive(Clone, Copy)]
enum Frame {
    Array {
        /// Elements begun so far.
        len: usize,
    },
    Object {
        /// Output offset just after `{`.
        body_start: usize,
        /// Index of this object's first key in `Writer::keys`.
        keys_start: usize,
        /// The last array-index key seen, if any.
        last_index: Option<u32>,
        /// A key that is not an array index has been seen.
        named_seen: bool,
        /// Array-index keys are not all first and ascending: the members must be reordered.
        unordered: bool,
    },
}

pub(crate) struct Writer {
    pub(crate) out: String,
    frames: Vec<Frame>,
    /// Keys of every open object, innermost last (objects nest, so their keys form a stack).
    keys: Vec<KeySpan>,
    pub(crate) warnings: Vec<Warning>,
    mode: Mode,
}

impl Writer {
    pub(crate) fn new(mode: Mode, capacity: usize) -> Self {
        Writer {
            out: String::with_capacity(capacity),
            // Room for typical bodies (a few levels, a few dozen keys) without regrowth.
            frames: Vec::with_capacity(8),
            keys: Vec::with_capacity(32),
            warnings: Vec::new(),
            mode,
        }
    }

    /// Reports a value that a JavaScript reader would not see as sent: an error in strict mode.
    pub(crate) fn warn(&mut self, kind: WarningKind, offset: Option<usize>) -> Result<(), Error> {
        let warning = Warning {
            kind,
            pointer: self.pointer(),
            offset,
        };
        match self.mode {
            Mode::Strict => Err(Error::UnsafeJsonValue(warning)),
            Mode::Lenient => {
                self.warnings.push(warning);
                Ok(())
            }
        }
    }

    fn enter(&mut self, frame: Frame, offset: usize) -> Result<(), Error> {
        if self.frames.len() >= MAX_DEPTH {
            return Err(Error::JsonTooDeep {
                offset,
                max_depth: MAX_DEPTH,
            });
        }
        self.frames.push(frame);
        Ok(())
    }

    /// `offset` is only used for the depth error.
    pub(crate) fn begin_array(&mut self, offset: usize) -> Result<(), Error> {
        self.enter(Frame::Array { len: 0 }, offset)?;
        self.out.push('[');
        Ok(())
    }

    /// Before each element of the innermost array.
    pub(crate) fn array_element(&mut self) {
        if let Some(Frame::Array { len }) = self.frames.last_mut() {
            if *len > 0 {
                self.out.push(',');
            }
            *len += 1;
        }
    }

    pub(crate) fn end_array(&mut self) {
        self.frames.pop();
        self.out.push(']');
    }

    pub(crate) fn begin_object(&mut self, offset: usize) -> Result<(), Error> {
        self.out.push('{');
        self.enter(
            Frame::Object {
                body_start: self.out.len(),
                keys_start: self.keys.len(),
                last_index: None,
                named_seen: false,
                unordered: false,
            },
            offset,
        )
    }

    /// Before a key of the innermost object; returns where the key starts, for [`Self::key_end`].
    pub(crate) fn key_start(&mut self) -> usize {
        if let Some(Frame::Object { keys_start, .. }) = self.frames.last()
            && self.keys.len() > *keys_start
        {
            self.out.push(',');
        }
        self.out.len()
    }

    /// After the quoted key has been written from `start`: records it and writes `:`.
    pub(crate) fn key_end(&mut self, start: usize) {
        let end = self.out.len();
        let inner = self
            .out
            .as_bytes()
            .get(start + 1..end.saturating_sub(1))
            .unwrap_or_default();
        let index = array_index(inner);
        let digest = digest(inner);
        if let Some(Frame::Object {
            last_index,
            named_seen,
            unordered,
            ..
        }) = self.frames.last_mut()
        {
            match index {
                Some(i) => {
                    if *named_seen || last_index.is_some_and(|last| i <= last) {
                        *unordered = true;
                    }
                    *last_index = Some(i);
                }
                None => *named_seen = true,
            }
        }
        self.keys.push(KeySpan { start, end, digest });
        self.out.push(':');
    }

    pub(crate) fn end_object(&mut self) {
        if let Some(Frame::Object {
            body_start,
            keys_start,
            unordered,
            ..
        }) = self.frames.pop()
        {
            let spans = &self.keys[keys_start..];
            if unordered || may_have_duplicates(&self.out, spans) {
                let spans: Vec<KeySpan> = spans.to_vec();
                reorder(&mut self.out, body_start, &spans);
            }
            self.keys.truncate(keys_start);
        }
        self.out.push('}');
    }

    pub(crate) fn out_len(&self) -> usize {
        self.out.len()
    }

    /// A quoted JSON string with the escapes `JSON.stringify` writes.
    pub(crate) fn write_str(&mut self, s: &str) {
        self.out.push('"');
        self.write_str_body(s);
        self.out.push('"');
    }

    /// The inside of a quoted string (no quotes).
    pub(crate) fn write_str_body(&mut self, s: &str) {
        let bytes = s.as_bytes();
        // Short strings (every key, most values) rarely need an escape: one check over all of
        // it, then one copy. Longer ones go straight to the word loop, which copies runs
        // between escapes without scanning twice.
        if bytes.len() < 32
            && !bytes
                .iter()
                .fold(false, |found, &b| found | NEEDS_ESCAPE[usize::from(b)])
        {
            self.out.push_str(s);
            return;
        }
        let mut run = 0;
        let mut i = 0;
        while i < bytes.len() {
            // Eight bytes at a time while none needs an escape, as most text does not.
            if let Some(word) = bytes
                .get(i..i + 8)
                .and_then(|w| <[u8; 8]>::try_from(w).ok())
                && !word_needs_escape(u64::from_le_bytes(word))
            {
                i += 8;
                continue;
            }
            let b = bytes[i];
            if NEEDS_ESCAPE[usize::from(b)] {
                // `i` is an ASCII byte, so both slice ends are char boundaries.
                self.out.push_str(&s[run..i]);
                self.write_escape(b);
                run = i + 1;
            }
            i += 1;
        }
        self.out.push_str(&s[run..]);
    }

    /// The escape for a C0 control, `"` or `\`.
    pub(crate) fn write_escape(&mut self, b: u8) {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x09 => "\\t",
            0x0a => "\\n",
            0x0c => "\\f",
            0x0d => "\\r",
            _ => {
                self.write_unit_escape(u16::from(b));
                return;
            }
        };
        self.out.push_str(short);
    }

    /// `\uXXXX` with lowercase hex, as JavaScript writes controls and lone surrogates.
    pub(crate) fn write_unit_escape(&mut self, unit: u16) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.push_str("\\u");
        for shift in [12, 8, 4, 0] {
            self.out
                .push(char::from(HEX[usize::from((unit >> shift) & 0xf)]));
        }
    }

    /// A char decoded from a `\u` escape, written as `JSON.stringify` would.
    pub(crate) fn write_char(&mut self, c: char) {
        if c.is_ascii() && NEEDS_ESCAPE[c as usize] {
            self.write_escape(c as u8);
        } else {
            self.out.push(c);
        }
    }

    pub(crate) fn write_raw(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A double as `Number.prototype.toString` writes it; NaN and infinities as `null`.
    pub(crate) fn write_f64(&mut self, v: f64, offset: Option<usize>) -> Result<(), Error> {
        // `f64::fract` is std-only; within 2^53 the cast to i64 is exact iff `v` is integral.
        if v.abs() <= number::MAX_SAFE as f64 && (v as i64) as f64 == v {
            // An integral double within 2^53: ECMAScript writes its digits (and -0 as 0).
            if v < 0.0 {
                self.out.push('-');
            }
            number::push_decimal(&mut self.out, v.abs() as u128);
            Ok(())
        } else if v.is_finite() {
            let mut buffer = ryu_js::Buffer::new();
            self.out.push_str(buffer.format_finite(v));
            Ok(())
        } else {
            self.out.push_str("null");
            self.warn(WarningKind::NonFinite, offset)
        }
    }

    /// An integer as a JavaScript number: its digits up to 2^53; beyond, what JavaScript
    /// writes for the double nearest to it, with a warning when that text denotes another
    /// integer.
    pub(crate) fn write_integer(&mut self, negative: bool, magnitude: u128) -> Result<(), Error> {
        if negative && magnitude != 0 {
            self.out.push('-');
        }
        if magnitude <= number::MAX_SAFE {
            number::push_decimal(&mut self.out, magnitude);
            return Ok(());
        }
        let mut buffer = ryu_js::Buffer::new();
        let js = buffer.format_finite(magnitude as f64);
        self.out.push_str(js);
        let mut digits = String::new();
        number::push_decimal(&mut digits, magnitude);
        if !number::denotes_integer(js, &digits) {
            self.warn(WarningKind::InexactInteger, None)?;
        }
        Ok(())
    }

    /// RFC 6901 pointer to the value being written.
    fn pointer(&self) -> String {
        let mut pointer = String::new();
        let mut object_keys_end = self.keys.len();
        // Walk innermost first to know where each object's keys end, then assemble.
        let mut parts: Vec<Part> = Vec::with_capacity(self.frames.len());
        for frame in self.frames.iter().rev() {
            match *frame {
                Frame::Array { len } => parts.push(Part::Index(len.saturating_sub(1))),
                Frame::Object { keys_start, .. } => {
                    if object_keys_end > keys_start {
                        let span = self.keys[object_keys_end - 1];
                        parts.push(Part::Key(span.start + 1..span.end - 1));
                    }
                    object_keys_end = keys_start;
                }
            }
        }
        for part in parts.iter().rev() {
            pointer.push('/');
            match part {
                Part::Index(i) => {
                    let _ = write!(pointer, "{i}");
                }
                Part::Key(range) => push_pointer_key(&mut pointer, &self.out[range.clone()]),
            }
        }
        pointer
    }

    pub(crate) fn finish(self) -> (String, Vec<Warning>) {
        (self.out, self.warnings)
    }
}

enum Part {
    Index(usize),
    Key(Range<usize>),
}

/// Appends a key, given as written (escaped JSON string contents), as a pointer token: escapes
/// undone, `~` as `~0`, `/` as `~1`. A lone surrogate, which no Rust string can hold, stays as
/// its `\uXXXX` text.
fn push_pointer_key(pointer: &mut String, escaped: &str) {
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        let c = if c == '\\' {
            match chars.next() {
                Some('b') => '\u{8}',
                Some('t') => '\t',
                Some('n') => '\n',
                Some('f') => '\u{c}',
                Some('r') => '\r',
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).collect();
                    match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        Some(c) => c,
                        None => {
                            pointer.push_str("\\u");
                            pointer.push_str(&hex);
                            continue;
                        }
                    }
                }
                Some(other) => other,
                None => break,
            }
        } else {
            c
        };
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The key's value if it is an array index: a canonical decimal integer from 0 to 2^32 - 2.
/// JavaScript lists such keys first, ascending, whatever the insertion order.
pub(crate) fn array_index(key: &[u8]) -> Option<u32> {
    let (&first, _) = key.split_first()?;
    if !first.is_ascii_digit() || key.len() > 10 || (first == b'0' && key.len() > 1) {
        return None;
    }
    let mut value: u64 = 0;
    for &b in key {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    if value <= 4_294_967_294 {
        u32::try_from(value).ok()
    } else {
        None
    }
}

fn digest(key: &[u8]) -> u8 {
    let len = key.len();
    let first = key.first().copied().unwrap_or(0);
    let last = key.last().copied().unwrap_or(0);
    let middle = key.get(len / 2).copied().unwrap_or(0);
    (len as u8)
        .wrapping_mul(31)
        .wrapping_add(first.wrapping_mul(7))
        .wrapping_add(last.rotate_left(3))
        .wrapping_add(middle.rotate_left(5))
}

fn key_bytes<'o>(out: &'o str, span: &KeySpan) -> &'o [u8] {
    &out.as_bytes()[span.start..span.end]
}

/// Whether two keys of the object are equal. A 256-bit filter on the digests answers "no" for
/// almost every object without comparing keys.
fn may_have_duplicates(out: &str, spans: &[KeySpan]) -> bool {
    if spans.len() < 2 {
        return false;
    }
    let mut seen = [0u64; 4];
    let mut collision = false;
    for span in spans {
        let (word, bit) = (usize::from(span.digest >> 6), span.digest & 63);
        if seen[word] & (1 << bit) != 0 {
            collision = true;
            break;
        }
        seen[word] |= 1 << bit;
    }
    if !collision {
        return false;
    }
    let mut keys: Vec<&[u8]> = spans.iter().map(|s| key_bytes(out, s)).collect();
    keys.sort_unstable();
    keys.windows(2).any(|pair| pair[0] == pair[1])
}

/// Rewrites the members after `body_start` in JavaScript's order: array-index keys ascending,
/// then the other keys in first-insertion order; a repeated key keeps its first place and takes
/// its last value (`json-stringify-form`).
fn reorder(out: &mut String, body_start: usize, spans: &[KeySpan]) {
    let body: String = out[body_start..].to_owned();
    let local = |r: Range<usize>| r.start - body_start..r.end - body_start;
    // (key range, value range) in `body`, one per distinct key, in first-insertion order.
    let mut members: Vec<(Range<usize>, Range<usize>)> = Vec::with_capacity(spans.len());
    let mut first_place: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, span) in spans.iter().enumerate() {
        let value_end = spans.get(i + 1).map_or(out.len(), |next| next.start - 1);
        let key = local(span.start..span.end);
        let value = local(span.end + 1..value_end);
        match first_place.get(&body[key.clone()]) {
            Some(&place) => members[place].1 = value,
            None => {
                first_place.insert(&body[key.clone()], members.len());
                members.push((key, value));
            }
        }
    }
    let mut indexed: Vec<(u32, usize)> = Vec::new();
    let mut named: Vec<usize> = Vec::new();
    for (place, (key, _)) in members.iter().enumerate() {
        let inner = &body.as_bytes()[key.start + 1..key.end - 1];
        match array_index(inner) {
            Some(i) => indexed.push((i, place)),
            None => named.push(place),
        }
    }
    indexed.sort_unstable();
    out.truncate(body_start);
    let order = indexed.iter().map(|&(_, place)| place).chain(named);
    for (n, place) in order.enumerate() {
        if n > 0 {
            out.push(',');
        }
        let (key, value) = &members[place];
        out.push_str(&body[key.clone()]);
        out.push(':');
        out.push_str(&body[value.clone()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_test_never_misses_a_byte_to_escape() {
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut word = [b'a'; 8];
                word[at] = b;
                if NEEDS_ESCAPE[usize::from(b)] {
                    assert!(
                        word_needs_escape(u64::from_le_bytes(word)),
                        "{b:#x} at {at}"
                    );
                }
            }
        }
        assert!(!word_needs_escape(u64::from_le_bytes(*b"plain te")));
        assert!(!word_needs_escape(u64::from_le_bytes(
            *"é中/~x".as_bytes().first_chunk().unwrap()
        )));
    }
}
