//! One test per rule of the JSON.stringify form (`json-stringify-form`): key order, duplicates,
//! numbers, escapes, warnings and strict mode, invalid text, depth, and typed values.

use std::collections::{BTreeMap, HashMap};

use omni_json::Error;
use omni_json::{MAX_DEPTH, Mode, Warning, WarningKind, restringify, restringify_bytes, stringify};
use serde::Serialize;

fn re(text: &str) -> String {
    match restringify(text, Mode::Lenient) {
        Ok(out) => out.json,
        Err(e) => panic!("{text:?} was refused: {e}"),
    }
}

fn warnings(text: &str) -> Vec<(WarningKind, String, Option<usize>)> {
    restringify(text, Mode::Lenient)
        .expect("valid JSON")
        .warnings
        .into_iter()
        .map(|w| (w.kind, w.pointer, w.offset))
        .collect()
}

fn invalid_at(text: &str) -> usize {
    match restringify(text, Mode::Lenient) {
        Err(Error::InvalidJson { offset, .. }) => offset,
        other => panic!("{text:?}: expected InvalidJson, got {other:?}"),
    }
}

#[test]
fn json_stringify_form_output_is_compact() {
    assert_eq!(
        re(" {\n  \"a\" : [ 1 , 2 ] ,\r\n\t\"b\" : { } }\n"),
        r#"{"a":[1,2],"b":{}}"#
    );
}

#[test]
fn json_stringify_form_array_index_keys_come_first_ascending() {
    assert_eq!(
        re(r#"{"b":1,"10":2,"a":3,"2":4,"0":5}"#),
        r#"{"0":5,"2":4,"10":2,"b":1,"a":3}"#
    );
    // 2^32 - 2 is the largest array index; 2^32 - 1 is an ordinary key.
    assert_eq!(
        re(r#"{"x":0,"4294967295":1,"4294967294":2}"#),
        r#"{"4294967294":2,"x":0,"4294967295":1}"#
    );
    // Not canonical decimals: ordinary keys, in insertion order.
    assert_eq!(
        re(r#"{"01":1,"-1":2,"1.0":3,"+1":4," 1":5,"1":6}"#),
        r#"{"1":6,"01":1,"-1":2,"1.0":3,"+1":4," 1":5}"#
    );
    // An escaped digit is the same key as the digit.
    assert_eq!(re(r#"{"a":1,"\u0031":2}"#), r#"{"1":2,"a":1}"#);
}

#[test]
fn json_stringify_form_duplicate_key_keeps_first_place_and_last_value() {
    assert_eq!(re(r#"{"a":1,"b":2,"a":3}"#), r#"{"a":3,"b":2}"#);
    assert_eq!(
        re(r#"{"a":1,"\u0061":{"x":1},"b":0}"#),
        r#"{"a":{"x":1},"b":0}"#
    );
    assert_eq!(re(r#"{"5":1,"z":2,"5":3,"1":4}"#), r#"{"1":4,"5":3,"z":2}"#);
    // Many distinct keys whose digests collide still are not duplicates.
    let many: Vec<String> = (0..300).map(|i| format!("\"k{i}\":{i}")).collect();
    let text = format!("{{{}}}", many.join(","));
    assert_eq!(re(&text), text);
}

#[test]
fn json_stringify_form_numbers_as_ecmascript_writes_them() {
    let cases = [
        ("1.0", "1"),
        ("1E2", "100"),
        ("1e+2", "100"),
        ("-0", "0"),
        ("-0.0", "0"),
        ("0e10", "0"),
        ("5e-324", "5e-324"),
        ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"),
        ("1e-7", "1e-7"),
        ("1e-6", "0.000001"),
        ("0.1", "0.1"),
        ("1.5e300", "1.5e+300"),
        ("-2.5E-10", "-2.5e-10"),
        ("123456789", "123456789"),
        ("1.00000000000000001", "1"),
        ("9007199254740992", "9007199254740992"),
    ];
    for (text, expected) in cases {
        assert_eq!(re(text), expected, "{text}");
        assert!(warnings(text).is_empty(), "{text} warned");
    }
}

#[test]
fn json_stringify_form_integers_beyond_2_pow_53_warn_in_lenient_mode() {
    assert_eq!(re("9007199254740993"), "9007199254740992");
    assert_eq!(
        warnings(r#"{"id":[0,9007199254740993]}"#),
        [(WarningKind::InexactInteger, "/id/1".to_owned(), Some(9))]
    );
    // A double holds 2^60 exactly, but JavaScript writes other digits.
    assert_eq!(re("1152921504606846976"), "1152921504606847000");
    assert_eq!(warnings("1152921504606846976").len(), 1);
    assert_eq!(
        re("123456789012345678901234567890"),
        "1.2345678901234568e+29"
    );
    assert_eq!(warnings("-123456789012345678901234567890").len(), 1);
    // Forms that keep the integer.
    assert!(warnings("9007199254740994").is_empty());
    assert!(warnings("1000000000000000000000").is_empty());
    assert_eq!(re("1000000000000000000000"), "1e+21");
}

#[test]
fn json_stringify_form_overflow_and_underflow_warn() {
    assert_eq!(re("[1e400,-1e400]"), "[null,null]");
    assert_eq!(
        warnings("[1e400,-1e400]"),
        [
            (WarningKind::NonFinite, "/0".to_owned(), Some(1)),
            (WarningKind::NonFinite, "/1".to_owned(), Some(7)),
        ]
    );
    assert_eq!(re("1e-400"), "0");
    assert_eq!(warnings("1e-400")[0].0, WarningKind::Underflow);
    assert!(warnings("0e-400").is_empty());
    assert!(warnings("0.000e999").is_empty());
}

#[test]
fn strict_mode_refuses_what_lenient_mode_reports() {
    for text in ["9007199254740993", "[1e400]", "{\"a\":1e-999}"] {
        assert!(!warnings(text).is_empty());
        match restringify(text, Mode::Strict) {
            Err(Error::UnsafeJsonValue(Warning { .. })) => {}
            other => panic!("{text}: expected UnsafeJsonValue, got {other:?}"),
        }
    }
    let err = restringify(r#"{"a~/b":9007199254740993}"#, Mode::Strict).unwrap_err();
    assert_eq!(err.kind(), "unsafe_json_value");
    let Error::UnsafeJsonValue(warning) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(warning.pointer, "/a~0~1b");
    assert_eq!(warning.offset, Some(8));
    assert!(err.to_string().contains("/a~0~1b"), "{err}");
    let out = restringify("[1,2.5]", Mode::Strict).expect("nothing to report");
    assert!(out.warnings.is_empty());
}

#[test]
fn json_stringify_form_string_escapes_as_javascript() {
    assert_eq!(re(r#""\/\"\\\b\f\n\r\t""#), r#""/\"\\\b\f\n\r\t""#);
    assert_eq!(
        re(r#""\u0000\u001F\u0001\u000b""#),
        r#""\u0000\u001f\u0001\u000b""#
    );
    // DEL, U+2028/2029 and non-ASCII are written raw.
    assert_eq!(
        re(r#""\u007f\u2028\u2029\u00E9\u4e2d""#),
        "\"\u{7f}\u{2028}\u{2029}é中\""
    );
    assert_eq!(re("\"\u{2028}é😀/\""), "\"\u{2028}é😀/\"");
    // A surrogate pair is one astral character; lone surrogates stay escaped, in lowercase.
    assert_eq!(re(r#""\uD83D\uDE00""#), "\"😀\"");
    assert_eq!(re(r#""\uD800""#), r#""\ud800""#);
    assert_eq!(re(r#""\uDC00\uD800x""#), r#""\udc00\ud800x""#);
    assert_eq!(re(r#""\ud83d\ud83d\ude00""#), "\"\\ud83d😀\"");
    assert_eq!(re(r#"{"\uDFFF":1}"#), r#"{"\udfff":1}"#);
}

#[test]
fn invalid_json_is_refused_with_its_offset() {
    assert_eq!(invalid_at(""), 0);
    assert_eq!(invalid_at("   "), 3);
    assert_eq!(invalid_at("[1,]"), 3);
    assert_eq!(invalid_at("{\"a\" 1}"), 5);
    assert_eq!(invalid_at("{\"a\":1,}"), 7);
    assert_eq!(invalid_at("01"), 0);
    assert_eq!(invalid_at("1."), 2);
    assert_eq!(invalid_at("-"), 1);
    assert_eq!(invalid_at("1e+"), 3);
    assert_eq!(invalid_at("[1 2]"), 3);
    assert_eq!(invalid_at("\"a\tb\""), 2);
    assert_eq!(invalid_at("\"\\x\""), 1);
    assert_eq!(invalid_at("\"\\u12\""), 1);
    assert_eq!(invalid_at("\"abc"), 0);
    assert_eq!(invalid_at("tru"), 0);
    assert_eq!(invalid_at("NaN"), 0);
    assert_eq!(invalid_at("\u{feff}1"), 0);
    assert_eq!(invalid_at("1 2"), 2);
    assert_eq!(invalid_at("{1:1}"), 1);
    match restringify_bytes(b"[\"a\xff\"]", Mode::Lenient) {
        Err(Error::InvalidJson { offset: 3, reason }) => assert_eq!(reason, "not UTF-8"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        restringify("[1,]", Mode::Lenient).unwrap_err().kind(),
        "invalid_json"
    );
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert_eq!(re(&at_limit), at_limit);
    let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(
        restringify(&over, Mode::Lenient),
        Err(Error::JsonTooDeep {
            offset: MAX_DEPTH,
            max_depth: MAX_DEPTH
        })
    );
    // Far deeper than any stack would take recursively: still an error, not a crash.
    let huge = "{\"a\":[".repeat(200_000);
    assert_eq!(
        restringify(&huge, Mode::Lenient).unwrap_err().kind(),
        "json_too_deep"
    );
    // The same limit holds for typed values.
    #[derive(Serialize)]
    struct Node {
        next: Option<Box<Node>>,
    }
    let mut node = Node { next: None };
    for _ in 0..MAX_DEPTH {
        node = Node {
            next: Some(Box::new(node)),
        };
    }
    assert_eq!(
        stringify(&node, Mode::Lenient).unwrap_err().kind(),
        "json_too_deep"
    );
}

#[derive(Serialize)]
struct Item {
    sku: String,
    quantity: u32,
    price: f64,
}

#[derive(Serialize)]
#[allow(dead_code)]
enum Status {
    Draft,
    Paid(u64),
    Refund(u32, f64),
    Moved { from: String, to: String },
}

#[derive(Serialize)]
struct Order {
    id: u64,
    total: f64,
    discount: Option<f64>,
    note: Option<String>,
    items: Vec<Item>,
    status: Vec<Status>,
    negative_zero: f64,
    big: f64,
    small: f32,
    #[serde(rename = "7")]
    seven: bool,
    tags: (char, &'static str, ()),
    #[serde(with = "serde_bytes_as_seq")]
    bytes: Vec<u8>,
}

mod serde_bytes_as_seq {
    pub(crate) fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(v)
    }
}

#[test]
fn json_stringify_form_typed_structs() {
    let order = Order {
        id: 42,
        total: 1.0,
        discount: None,
        note: Some("a/\"b\"\n\u{2028}".into()),
        items: vec![Item {
            sku: "SKU-1".into(),
            quantity: 3,
            price: 19.5,
        }],
        status: vec![
            Status::Draft,
            Status::Paid(7),
            Status::Refund(1, 2.0),
            Status::Moved {
                from: "a".into(),
                to: "b".into(),
            },
        ],
        negative_zero: -0.0,
        big: 1e21,
        small: 0.1,
        seven: true,
        tags: ('x', "y", ()),
        bytes: vec![0, 255],
    };
    let out = stringify(&order, Mode::Strict).expect("nothing to report");
    assert_eq!(
        out.json,
        concat!(
            r#"{"7":true,"id":42,"total":1,"discount":null,"note":"a/\"b\"\n"#,
            "\u{2028}",
            r#"","items":[{"sku":"SKU-1","quantity":3,"price":19.5}],"#,
            r#""status":["Draft",{"Paid":7},{"Refund":[1,2]},{"Moved":{"from":"a","to":"b"}}],"#,
            r#""negative_zero":0,"big":1e+21,"small":0.1,"tags":["x","y",null],"bytes":[0,255]}"#
        )
    );
    // The text is already in JSON.stringify form.
    assert_eq!(re(&out.json), out.json);
}

#[test]
fn enums_and_structs_as_serde_json_writes_them_when_no_number_differs() {
    #[derive(Serialize)]
    #[serde(tag = "type")]
    enum Tagged {
        A { x: i32 },
        B,
    }
    #[derive(Serialize)]
    #[serde(untagged)]
    enum Untagged {
        N(i64),
        S(String),
    }
    #[derive(Serialize)]
    #[serde(tag = "t", content = "c")]
    enum Adjacent {
        V(Vec<u8>),
    }
    #[derive(Serialize)]
    struct Unit;
    #[derive(Serialize)]
    struct Newtype(String);
    #[derive(Serialize)]
    struct All {
        tagged: Vec<Tagged>,
        untagged: Vec<Untagged>,
        adjacent: Adjacent,
        unit: Unit,
        newtype: Newtype,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<u8>,
        map: BTreeMap<String, i32>,
    }
    let all = All {
        tagged: vec![Tagged::A { x: -1 }, Tagged::B],
        untagged: vec![Untagged::N(5), Untagged::S("s".into())],
        adjacent: Adjacent::V(vec![1, 2]),
        unit: Unit,
        newtype: Newtype("n".into()),
        skipped: None,
        map: [("b".to_owned(), 1), ("a".to_owned(), 2)].into(),
    };
    let ours = stringify(&all, Mode::Strict).expect("plain values").json;
    let theirs = serde_json::to_string(&all).expect("serde_json writes it");
    assert_eq!(ours, theirs);
}

#[test]
fn map_keys_are_strings_in_javascript_order() {
    let ints: BTreeMap<i64, &str> = [(10, "ten"), (2, "two"), (-1, "minus"), (0, "zero")].into();
    assert_eq!(
        stringify(&ints, Mode::Strict).unwrap().json,
        r#"{"0":"zero","2":"two","10":"ten","-1":"minus"}"#
    );
    let strings: BTreeMap<&str, u8> = [("10", 1), ("2", 2), ("a", 3), ("01", 4)].into();
    assert_eq!(
        stringify(&strings, Mode::Strict).unwrap().json,
        r#"{"2":2,"10":1,"01":4,"a":3}"#
    );
    let big: BTreeMap<u64, u8> = [(u64::MAX, 1)].into();
    assert_eq!(
        stringify(&big, Mode::Strict).unwrap().json,
        r#"{"18446744073709551615":1}"#
    );
    let bools: BTreeMap<bool, u8> = [(true, 1), (false, 0)].into();
    assert_eq!(
        stringify(&bools, Mode::Strict).unwrap().json,
        r#"{"false":0,"true":1}"#
    );
    let mut floats = HashMap::new();
    floats.insert(OrderedKey(1.0), 1);
    assert_eq!(stringify(&floats, Mode::Strict).unwrap().json, r#"{"1":1}"#);
    let tuples: BTreeMap<(u8, u8), u8> = [((1, 2), 3)].into();
    let err = stringify(&tuples, Mode::Lenient).unwrap_err();
    assert_eq!(err.kind(), "json_serialize");
    assert!(err.to_string().contains("map key"), "{err}");
}

/// An f64 map key (serde_json accepts finite ones too).
#[derive(PartialEq)]
struct OrderedKey(f64);
impl Eq for OrderedKey {}
impl std::hash::Hash for OrderedKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}
impl Serialize for OrderedKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

#[test]
fn json_stringify_form_typed_numbers_javascript_cannot_hold() {
    #[derive(Serialize)]
    struct Ids {
        safe: u64,
        unsafe_id: u64,
        max: u64,
        min: i64,
        nan: f64,
        inf: f32,
        wide: u128,
    }
    let ids = Ids {
        safe: 9_007_199_254_740_992,
        unsafe_id: 9_007_199_254_740_993,
        max: u64::MAX,
        min: i64::MIN,
        nan: f64::NAN,
        inf: f32::INFINITY,
        wide: 1 << 100,
    };
    let out = stringify(&ids, Mode::Lenient).expect("lenient");
    assert_eq!(
        out.json,
        concat!(
            r#"{"safe":9007199254740992,"unsafe_id":9007199254740992,"max":18446744073709552000,"#,
            r#""min":-9223372036854776000,"nan":null,"inf":null,"wide":1.2676506002282294e+30}"#
        )
    );
    let found: Vec<(WarningKind, &str)> = out
        .warnings
        .iter()
        .map(|w| (w.kind, w.pointer.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (WarningKind::InexactInteger, "/unsafe_id"),
            (WarningKind::InexactInteger, "/max"),
            (WarningKind::InexactInteger, "/min"),
            (WarningKind::NonFinite, "/nan"),
            (WarningKind::NonFinite, "/inf"),
            (WarningKind::InexactInteger, "/wide"),
        ]
    );
    assert!(out.warnings.iter().all(|w| w.offset.is_none()));
    let err = stringify(&ids, Mode::Strict).unwrap_err();
    assert_eq!(
        err,
        Error::UnsafeJsonValue(out.warnings[0].clone()),
        "strict mode stops at the first"
    );
    assert!(stringify(&f64::NAN, Mode::Strict).is_err());
    assert_eq!(
        stringify(&f64::NAN, Mode::Lenient).unwrap().warnings[0].pointer,
        ""
    );
}

#[test]
fn typed_duplicate_keys_follow_javascript() {
    /// A map that writes the same key twice, as `#[serde(flatten)]` collisions can.
    struct Twice;
    impl Serialize for Twice {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(None)?;
            map.serialize_entry("a", &1)?;
            map.serialize_entry("3", &2)?;
            map.serialize_entry("a", &[3])?;
            map.end()
        }
    }
    assert_eq!(
        stringify(&Twice, Mode::Strict).unwrap().json,
        r#"{"3":2,"a":[3]}"#
    );
}

#[test]
fn custom_serialize_errors_are_reported() {
    struct Fails;
    impl Serialize for Fails {
        fn serialize<S: serde::Serializer>(&self, _s: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("no way"))
        }
    }
    assert_eq!(
        stringify(&[Fails], Mode::Lenient),
        Err(Error::JsonSerialize("no way".into()))
    );
}
