//! The forms a faulty signer may have hashed instead of the body it sent: the same JSON
//! minified, pretty-printed or spaced, with its keys as sent or sorted.
//!
//! Hand-written rather than serde_json: a `serde_json::Value` round trip rewrites numbers
//! (`1.50` becomes `1.5`) and escapes, while a signer that only re-indented or re-ordered the
//! body kept them as they were. So these functions move whitespace and members around and
//! copy every token byte for byte.

use std::fmt;

/// How the whitespace of a body form is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layout {
    /// No whitespace outside strings (`JSON.stringify(value)`, `json.dumps(v, separators=(",", ":"))`).
    Minified,
    /// One member per line, indented by this many spaces, `": "` after keys
    /// (`JSON.stringify(value, null, n)`, `json.dumps(v, indent=n)`).
    Indent(usize),
    /// On one line with `", "` and `": "` between items (Python's `json.dumps(v)` default).
    Spaced,
}

impl Layout {
    /// A stable snake_case name, as the verdict's JSON gives it (`minified`, `indent_2`,
    /// `spaced`).
    pub fn name(self) -> String {
        match self {
            Layout::Minified => "minified".to_owned(),
            Layout::Indent(width) => format!("indent_{width}"),
            Layout::Spaced => "spaced".to_owned(),
        }
    }
}

/// A way a signer may have re-serialised a JSON body before hashing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyForm {
    /// The whitespace.
    pub layout: Layout,
    /// Whether every object's members were sorted by key (Go's `encoding/json` on a map,
    /// Python's `sort_keys=True`, PHP's `ksort`), rather than kept in the order sent.
    pub keys_sorted: bool,
}

impl BodyForm {
    /// Minified, keys in the order sent.
    pub const MINIFIED: BodyForm = BodyForm::new(Layout::Minified, false);
    /// Pretty-printed with two spaces, keys in the order sent.
    pub const PRETTY_2: BodyForm = BodyForm::new(Layout::Indent(2), false);

    /// The forms the search tries, in this order.
    pub const SEARCHED: [BodyForm; 8] = [
        BodyForm::new(Layout::Minified, false),
        BodyForm::new(Layout::Indent(2), false),
        BodyForm::new(Layout::Indent(4), false),
        BodyForm::new(Layout::Spaced, false),
        BodyForm::new(Layout::Minified, true),
        BodyForm::new(Layout::Indent(2), true),
        BodyForm::new(Layout::Indent(4), true),
        BodyForm::new(Layout::Spaced, true),
    ];

    /// A form.
    pub const fn new(layout: Layout, keys_sorted: bool) -> Self {
        BodyForm {
            layout,
            keys_sorted,
        }
    }

    /// `body` in this form, or `None` if `body` is not one JSON value (or nests deeper than
    /// [`omni_json::MAX_DEPTH`]). Tokens keep their spelling; only whitespace and member order
    /// change.
    ///
    /// ```
    /// use omni_diagnose::BodyForm;
    /// let sent = br#"{"b":1.50,"a":[1,{}]}"#;
    /// assert_eq!(
    ///     BodyForm::PRETTY_2.render(sent).unwrap(),
    ///     "{\n  \"b\": 1.50,\n  \"a\": [\n    1,\n    {}\n  ]\n}"
    /// );
    /// ```
    pub fn render(&self, body: &[u8]) -> Option<String> {
        let minified = minify(body)?;
        let minified = if self.keys_sorted {
            sort_keys(&minified)?
        } else {
            minified
        };
        Some(lay_out(&minified, self.layout))
    }
}

impl fmt::Display for BodyForm {
    /// A label for people: `minified`, `pretty, indent 2`, `keys sorted, spaced`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.keys_sorted {
            f.write_str("keys sorted, ")?;
        }
        match self.layout {
            Layout::Minified => f.write_str("minified"),
            Layout::Indent(width) => write!(f, "pretty, indent {width}"),
            Layout::Spaced => f.write_str("spaced"),
        }
    }
}

/// Minified JSON text laid out as `layout` says.
pub(crate) fn lay_out(minified: &str, layout: Layout) -> String {
    match layout {
        Layout::Minified => minified.to_owned(),
        Layout::Indent(width) => indent(minified, width),
        Layout::Spaced => spaced(minified),
    }
}

/// Whether `bytes` is one JSON value that omni-json accepts (as `JSON.parse` would).
fn is_json(bytes: &[u8]) -> bool {
    omni_json::restringify_bytes(bytes, omni_json::Mode::Lenient).is_ok()
}

/// Tracks whether a character of JSON text is inside a string literal.
#[derive(Default)]
struct StringState {
    inside: bool,
    escaped: bool,
}

impl StringState {
    /// Feeds `c`; true when `c` belongs to a string literal (its quotes included).
    fn feed(&mut self, c: char) -> bool {
        if self.inside {
            if self.escaped {
                self.escaped = false;
            } else if c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.inside = false;
            }
            true
        } else {
            self.inside = c == '"';
            self.inside
        }
    }
}

/// `bytes` with every whitespace outside strings removed, when it is JSON. Keys keep their
/// order and numbers their spelling: this is the text a signer minified, not a re-encoding.
pub(crate) fn minify(bytes: &[u8]) -> Option<String> {
    if !is_json(bytes) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut state = StringState::default();
    Some(
        text.chars()
            .filter(|&c| state.feed(c) || !c.is_ascii_whitespace())
            .collect(),
    )
}

/// Minified JSON text re-indented as `JSON.stringify(value, null, indent)` writes it: one
/// member per line, `": "` after keys, empty containers kept as `{}` and `[]`.
fn indent(minified: &str, indent: usize) -> String {
    let mut out = String::with_capacity(minified.len() * 2);
    let mut depth = 0usize;
    let mut state = StringState::default();
    let mut chars = minified.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', depth * indent));
    };
    while let Some(c) = chars.next() {
        if state.feed(c) {
            out.push(c);
            continue;
        }
        match c {
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Minified JSON text as Python's `json.dumps` writes it by default: `", "` and `": "`.
fn spaced(minified: &str) -> String {
    let mut out = String::with_capacity(minified.len() + minified.len() / 4);
    let mut state = StringState::default();
    for c in minified.chars() {
        out.push(c);
        if !state.feed(c) && matches!(c, ',' | ':') {
            out.push(' ');
        }
    }
    out
}

/// A JSON value of minified text, as slices of it: scalars and keys keep their spelling.
enum Node<'t> {
    Scalar(&'t str),
    Array(Vec<Node<'t>>),
    Object(Vec<(&'t str, Node<'t>)>),
}

/// Parses minified, valid JSON text into [`Node`]s. Depth is bounded by the validation in
/// [`minify`] (omni-json refuses more than `MAX_DEPTH` levels), so recursion is bounded too.
struct Tree<'t> {
    text: &'t str,
    at: usize,
}

impl<'t> Tree<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// A string literal, quotes included.
    fn string(&mut self) -> Option<&'t str> {
        let start = self.at;
        let mut state = StringState::default();
        for (offset, c) in self.text[start..].char_indices() {
            if !state.feed(c) {
                return None;
            }
            if offset > 0 && !state.inside {
                self.at = start + offset + 1;
                return Some(&self.text[start..self.at]);
            }
        }
        None
    }

    fn value(&mut self) -> Option<Node<'t>> {
        match self.peek()? {
            b'{' => {
                self.at += 1;
                let mut members = Vec::new();
                if self.peek()? == b'}' {
                    self.at += 1;
                    return Some(Node::Object(members));
                }
                loop {
                    let key = self.string()?;
                    (self.peek()? == b':').then_some(())?;
                    self.at += 1;
                    members.push((key, self.value()?));
                    match self.peek()? {
                        b',' => self.at += 1,
                        b'}' => {
                            self.at += 1;
                            return Some(Node::Object(members));
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(Node::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(Node::Array(items));
                        }
                        _ => return None,
                    }
                }
            }
            b'"' => self.string().map(Node::Scalar),
            _ => {
                let start = self.at;
                let len = self.text[start..]
                    .find([',', ']', '}'])
                    .unwrap_or(self.text.len() - start);
                self.at += len;
                Some(Node::Scalar(&self.text[start..self.at]))
            }
        }
    }
}

/// The key as a program holds it, for sorting: escapes decoded (Go and Python sort decoded
/// keys, by code point, which is the byte order of their UTF-8).
fn decoded_key(literal: &str) -> String {
    serde_json::from_str::<String>(literal).unwrap_or_else(|_| literal.to_owned())
}

fn write_sorted(node: Node<'_>, out: &mut String) {
    match node {
        Node::Scalar(text) => out.push_str(text),
        Node::Array(items) => {
            out.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        Node::Object(members) => {
            let mut members: Vec<(String, &str, Node<'_>)> = members
                .into_iter()
                .map(|(key, value)| (decoded_key(key), key, value))
                .collect();
            // Stable: repeated keys keep their relative order.
            members.sort_by(|a, b| a.0.cmp(&b.0));
            out.push('{');
            for (i, (_, key, value)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(key);
                out.push(':');
                write_sorted(value, out);
            }
            out.push('}');
        }
    }
}

/// Minified JSON text with every object's members sorted by key.
pub(crate) fn sort_keys(minified: &str) -> Option<String> {
    let mut tree = Tree {
        text: minified,
        at: 0,
    };
    let root = tree.value()?;
    if tree.at != minified.len() {
        return None;
    }
    let mut out = String::with_capacity(minified.len());
    write_sorted(root, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_order_and_strings() {
        let pretty = b"{\n  \"b\": 1.50,\n  \"a\": \"x y\\\" z\",\n  \"c\": [ ]\n}";
        assert_eq!(
            minify(pretty).as_deref(),
            Some(r#"{"b":1.50,"a":"x y\" z","c":[]}"#)
        );
        assert_eq!(minify(b"{oops"), None);
    }

    #[test]
    fn indent_matches_json_stringify_with_two_spaces() {
        // JSON.stringify({a:[1,{}],b:{c:"x,y:z"},d:[]}, null, 2) in Node.
        let expected = "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"x,y:z\"\n  },\n  \"d\": []\n}";
        assert_eq!(
            indent(r#"{"a":[1,{}],"b":{"c":"x,y:z"},"d":[]}"#, 2),
            expected
        );
        assert_eq!(
            minify(expected.as_bytes())
                .map(|m| indent(&m, 2))
                .as_deref(),
            Some(expected)
        );
    }

    #[test]
    fn spaced_matches_python_json_dumps() {
        // json.dumps({"a": [1, {}], "b": {"c": "x, y: z"}, "d": []}) in Python 3.
        assert_eq!(
            spaced(r#"{"a":[1,{}],"b":{"c":"x, y: z"},"d":[]}"#),
            r#"{"a": [1, {}], "b": {"c": "x, y: z"}, "d": []}"#
        );
    }

    #[test]
    fn sorted_keys_are_sorted_at_every_level_and_keep_their_spelling() {
        let sent = br#"{"z":{"y":1.50,"b":"\u0041"},"a":[{"d":1,"c":2}],"\u0062":true}"#;
        let sorted = BodyForm::new(Layout::Minified, true).render(sent).unwrap();
        // "\u0062" is "b": sorted as b, written as sent.
        assert_eq!(
            sorted,
            r#"{"a":[{"c":2,"d":1}],"\u0062":true,"z":{"b":"\u0041","y":1.50}}"#
        );
        // Python: json.dumps({...}, sort_keys=True) of the same value, numbers aside.
        assert_eq!(
            BodyForm::new(Layout::Spaced, true)
                .render(br#"{"b":1,"a":[2,3]}"#)
                .unwrap(),
            r#"{"a": [2, 3], "b": 1}"#
        );
    }

    #[test]
    fn forms_of_text_that_is_not_json_are_none() {
        for form in BodyForm::SEARCHED {
            assert_eq!(form.render(b"not json"), None);
            assert_eq!(form.render(b"{\"a\":1"), None);
            assert_eq!(form.render(b"\xff"), None);
        }
    }

    #[test]
    fn labels() {
        assert_eq!(BodyForm::PRETTY_2.to_string(), "pretty, indent 2");
        assert_eq!(
            BodyForm::new(Layout::Spaced, true).to_string(),
            "keys sorted, spaced"
        );
        assert_eq!(Layout::Indent(4).name(), "indent_4");
    }
}
