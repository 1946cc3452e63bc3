//! JSON body text: the JSON.stringify form to send, and the minified and pretty forms a
//! faulty signer may have hashed instead.

use crate::error::CliError;

/// `text` rewritten exactly as `JSON.stringify(JSON.parse(text))` would write it (`json-stringify-form`), through omni-json. Warnings (an integer beyond 2^53 that JavaScript
/// would silently change) go to stderr: the value sent is the one a JavaScript server reads.
pub fn stringify_form(text: &str) -> Result<String, CliError> {
    let out = omni_json::restringify(text, omni_json::Mode::Lenient)
        .map_err(|e| CliError::InvalidJson(e.to_string()))?;
    for warning in &out.warnings {
        eprintln!("warning: --json: {warning}");
    }
    Ok(out.json)
}

/// Whether `bytes` is one JSON value.
fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes).is_ok()
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
pub fn minify(bytes: &[u8]) -> Option<String> {
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
pub fn indent(minified: &str, indent: usize) -> String {
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
}
