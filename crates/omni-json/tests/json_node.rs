//! Differential test of the JSON.stringify encoder (`json-stringify-form`) against Node itself:
//! thousands of generated JSON texts, pretty-printed, compact and with odd whitespace, with odd
//! number spellings, escapes, astral characters, lone surrogates, duplicate and array-index
//! keys and nesting, plus broken variants of them. For each, `restringify` must give exactly
//! the bytes of Node's `JSON.stringify(JSON.parse(text))`, and fail exactly where `JSON.parse`
//! throws. Node is required: the test fails when it is missing (scripts/test.sh installs it).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use omni_json::{MAX_DEPTH, Mode, restringify};

/// SplitMix64: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Below `usual` with `percent` chance, else below `rare`.
    fn below_mostly(&mut self, percent: usize, usual: usize, rare: usize) -> usize {
        let n = if self.chance(percent) { usual } else { rare };
        self.below(n)
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const ODD_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "0.0",
    "-0.0",
    "1.0",
    "1E2",
    "1e2",
    "1E+2",
    "1e-2",
    "-1.5E-3",
    "5e-324",
    "4e-324",
    "2e-324",
    "1e-400",
    "-1e-400",
    "0e400",
    "1e21",
    "1e20",
    "999999999999999999999",
    "1e-7",
    "1e-6",
    "0.000001",
    "0.0000001",
    "123e-20",
    "1e400",
    "-1e400",
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "2.2250738585072014e-308",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "-9007199254740993",
    "18446744073709551615",
    "18446744073709551616",
    "1152921504606846976",
    "0.1",
    "0.30000000000000004",
    "100",
    "1e0",
    "12345678901234567",
    "1.00000000000000001",
    "0.1e1",
    "10.0e-1",
    "4294967295",
    "1E21",
    "340282366920938463463374607431768211456",
    "1361129467683753853853498429727072845824",
    "1361129467683753853853498429727072845825",
];

const KEYS: &[&str] = &[
    "0",
    "1",
    "2",
    "10",
    "42",
    "4294967294",
    "4294967295",
    "01",
    "-1",
    "1.0",
    "+1",
    " 1",
    "a",
    "b",
    "id",
    "amount",
    "__proto__",
    "",
    "\\u0030",
    "\\u0061",
    "\\ud800",
    "é",
    "\\\"q",
    "~/",
    "length",
];

const STRING_PIECES: &[&str] = &[
    "a",
    "Z",
    " ",
    "/",
    "\\/",
    "\\\"",
    "\\\\",
    "\\b",
    "\\f",
    "\\n",
    "\\r",
    "\\t",
    "\\u0000",
    "\\u001f",
    "\\u001F",
    "\\u0020",
    "\\u007f",
    "\\u0080",
    "\\u00e9",
    "\\u00E9",
    "\\u2028",
    "\\u2029",
    "\\uD83D\\uDE00",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\uDBFF",
    "\\udc00",
    "\\uDFFF",
    "\\ud800\\ud800",
    "\\udc00\\ud800",
    "\\ud83d\\ude00\\ude00",
    "\\uFEFF",
    "\\uffff",
    "é",
    "中文",
    "😀",
    "\u{2028}",
    "\u{2029}",
    "\u{7f}",
    "\u{80}",
    "\u{feff}",
    "\u{10ffff}",
    "<>&'",
    "\\u003c",
    "\\u0041",
];

struct Gen {
    rng: Rng,
}

impl Gen {
    fn number(&mut self) -> String {
        if self.rng.chance(50) {
            return self.rng.pick(ODD_NUMBERS).to_owned();
        }
        let mut s = String::new();
        if self.rng.chance(30) {
            s.push('-');
        }
        if self.rng.chance(20) {
            s.push('0');
        } else {
            let len = 1 + self.rng.below_mostly(80, 8, 30);
            s.push(char::from(b'1' + self.rng.below(9) as u8));
            for _ in 1..len {
                s.push(char::from(b'0' + self.rng.below(10) as u8));
            }
        }
        if self.rng.chance(40) {
            s.push('.');
            for _ in 0..1 + self.rng.below(20) {
                s.push(char::from(b'0' + self.rng.below(10) as u8));
            }
        }
        if self.rng.chance(30) {
            s.push(self.rng.pick(&['e', 'E']));
            s.push_str(self.rng.pick(&["", "+", "-"]));
            let exp = self.rng.below_mostly(80, 30, 400);
            s.push_str(&exp.to_string());
        }
        s
    }

    fn string(&mut self) -> String {
        let mut s = String::from("\"");
        for _ in 0..self.rng.below(8) {
            s.push_str(self.rng.pick(STRING_PIECES));
        }
        s.push('"');
        s
    }

    fn key(&mut self) -> String {
        if self.rng.chance(70) {
            format!("\"{}\"", self.rng.pick(KEYS))
        } else {
            self.string()
        }
    }

    /// Whitespace between tokens: none (compact), pretty, or random JSON whitespace.
    fn space(&mut self, style: usize, depth: usize, out: &mut String) {
        match style {
            0 => {}
            1 => {
                out.push('\n');
                for _ in 0..depth {
                    out.push_str("  ");
                }
            }
            _ => {
                for _ in 0..self.rng.below(3) {
                    out.push(self.rng.pick(&[' ', '\t', '\n', '\r']));
                }
            }
        }
    }

    fn value(&mut self, depth: usize, style: usize, out: &mut String) {
        let container = depth < 6 && self.rng.chance(if depth == 0 { 85 } else { 35 });
        if !container {
            match self.rng.below(6) {
                0 => out.push_str(self.rng.pick(&["null", "true", "false"])),
                1 | 2 => out.push_str(&self.number()),
                _ => out.push_str(&self.string()),
            }
            return;
        }
        let object = self.rng.chance(60);
        out.push(if object { '{' } else { '[' });
        let len = self.rng.below_mostly(10, 40, 6);
        for i in 0..len {
            if i > 0 {
                out.push(',');
            }
            self.space(style, depth + 1, out);
            if object {
                out.push_str(&self.key());
                if style == 2 {
                    self.space(style, depth + 1, out);
                }
                out.push(':');
                if style != 0 {
                    out.push(' ');
                }
            }
            self.value(depth + 1, style, out);
        }
        if len > 0 {
            self.space(style, depth, out);
        }
        out.push(if object { '}' } else { ']' });
    }

    fn text(&mut self) -> String {
        let style = self.rng.below(3);
        let mut out = String::new();
        if style == 2 {
            self.space(style, 0, &mut out);
        }
        self.value(0, style, &mut out);
        if style != 0 {
            self.space(style, 0, &mut out);
        }
        out
    }

    /// A small edit that usually breaks the text (but not always: both sides must agree).
    fn broken(&mut self, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        let at = self.rng.below(chars.len() + 1);
        match self.rng.below(3) {
            0 if !chars.is_empty() => {
                chars.remove(at.min(chars.len() - 1));
            }
            1 => chars.truncate(at),
            _ => {
                let c = self.rng.pick(&[
                    ',', ']', '}', ':', '"', '\\', '0', '-', '+', '.', 'e', ' ', '\u{a0}', '\u{1}',
                    'x', '\u{feff}',
                ]);
                chars.insert(at, c);
            }
        }
        chars.into_iter().collect()
    }
}

fn node_results(texts: &[String]) -> Vec<String> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/json_node.js");
    let mut child = match Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => panic!(
            "this test needs Node (`node` on PATH) to compare with JSON.stringify: {e}; \
             install the Debian package nodejs (scripts/test.sh does)"
        ),
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input: String = texts
        .iter()
        .map(|t| serde_json::to_string(t).expect("a Rust string encodes") + "\n")
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let stdout = child.stdout.take().expect("piped stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .collect::<Result<_, _>>()
        .expect("node output is UTF-8 lines");
    writer
        .join()
        .expect("writer thread")
        .expect("write to node");
    let status = child.wait().expect("node exits");
    assert!(status.success(), "node failed: {status}");
    assert_eq!(lines.len(), texts.len(), "one node result per text");
    lines
}

fn compare(texts: &[String]) -> usize {
    let expected = node_results(texts);
    let mut failures = Vec::new();
    for (text, node) in texts.iter().zip(&expected) {
        let ours = match restringify(text, Mode::Lenient) {
            Ok(out) => format!("OK {}", out.json),
            Err(_) => "ERR".to_owned(),
        };
        if &ours != node {
            let shown: String = text.chars().take(400).collect();
            failures.push(format!("input: {shown:?}\n node: {node}\n ours: {ours}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} texts differ from Node, first ones:\n{}",
        failures.len(),
        texts.len(),
        failures[..failures.len().min(5)].join("\n")
    );
    texts.len()
}

#[test]
fn generated_texts_match_node_byte_for_byte() {
    let mut generator = Gen {
        rng: Rng(0x0d15_ea5e_5eed_0003),
    };
    let mut texts: Vec<String> = (0..5000).map(|_| generator.text()).collect();
    let broken: Vec<String> = texts[..1500].iter().map(|t| generator.broken(t)).collect();
    texts.extend(broken);
    let valid = texts
        .iter()
        .filter(|t| restringify(t, Mode::Lenient).is_ok())
        .count();
    // The generator must really produce mostly valid JSON, or the comparison says little.
    assert!(valid > 5000, "only {valid} texts were valid JSON");
    assert_eq!(compare(&texts), 6500);
}

#[test]
fn every_odd_number_and_string_piece_matches_node() {
    let mut texts: Vec<String> = Vec::new();
    for n in ODD_NUMBERS {
        texts.push((*n).to_owned());
        texts.push(format!("[{n}]"));
    }
    for piece in STRING_PIECES {
        texts.push(format!("\"{piece}\""));
        texts.push(format!("{{\"{piece}\":0}}"));
    }
    for key in KEYS {
        texts.push(format!("{{\"z\":1,\"{key}\":2,\"3\":3,\"{key}\":4}}"));
    }
    let edge = [
        "",
        " ",
        "01",
        "1.",
        ".5",
        "+1",
        "-",
        "1e",
        "1e+",
        "NaN",
        "Infinity",
        "[1,]",
        "{\"a\":1,}",
        "'a'",
        "\"\\x\"",
        "\"\\u12\"",
        "\"\t\"",
        "[1 2]",
        "{\"a\" 1}",
        "{1:1}",
        "tru",
        "nul",
        "\u{feff}1",
        "1 2",
        "[]",
        "{}",
        "[[]]",
        " [ ] ",
        "\"\\u0000\"",
        "-0",
        "[-0]",
    ];
    texts.extend(edge.iter().map(|t| (*t).to_owned()));
    // Nesting up to the limit; beyond it we refuse where Node would not (see MAX_DEPTH).
    texts.push(format!(
        "{}{}",
        "[".repeat(MAX_DEPTH),
        "]".repeat(MAX_DEPTH)
    ));
    texts.push(format!(
        "{}1{}",
        "{\"a\":".repeat(MAX_DEPTH),
        "}".repeat(MAX_DEPTH)
    ));
    compare(&texts);
}
