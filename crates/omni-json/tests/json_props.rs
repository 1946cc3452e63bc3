//! Properties of the JSON.stringify encoder (`json-stringify-form`): rewriting is idempotent and
//! its output never needs a warning; `parse(encode(v))` is `v` for values within JavaScript's
//! range; `stringify` and `restringify` agree.

use omni_json::{Mode, restringify, stringify};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// JSON text with odd spellings: any number grammar, escapes, duplicate and index keys.
fn json_text() -> impl Strategy<Value = String> {
    let number = "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?";
    let string = any::<String>().prop_map(|s| serde_json::to_string(&s).expect("encodes"));
    let escaped = "(\\\\u[0-9a-fA-F]{4}|\\\\[nrtbf\"\\\\/]|[a-z0-9 ]|\u{e9}|\u{1f600}){0,6}"
        .prop_map(|s| format!("\"{s}\""));
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        number.prop_map(|s| s),
        string,
        escaped,
    ];
    let key = prop_oneof![
        Just("\"0\"".to_owned()),
        Just("\"7\"".to_owned()),
        Just("\"42\"".to_owned()),
        Just("\"4294967295\"".to_owned()),
        Just("\"01\"".to_owned()),
        Just("\"a\"".to_owned()),
        Just("\"\\u0061\"".to_owned()),
        "[a-c0-9]{0,3}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(5, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8)
                .prop_map(|items| format!("[ {} ]", items.join(" ,\n"))),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{k} : {v}"))
                    .collect();
                format!("{{\n{}\n}}", members.join(",\t"))
            }),
        ]
    })
}

/// `serde_json::Value`s JavaScript holds as they are: integers within 2^53, finite doubles.
fn js_value() -> impl Strategy<Value = Value> {
    const SAFE: i64 = 1 << 53;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-SAFE..=SAFE).prop_map(|i| Value::Number(i.into())),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map("[a-z0-9]{0,3}|[0-9]{1,10}|\\PC{0,4}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Equality as JavaScript sees it: numbers compared as doubles (`1` is `1.0`, `-0` is `0`).
fn same_to_javascript(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_to_javascript(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_to_javascript(v, w)))
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn restringify_is_idempotent_and_its_output_is_safe(text in json_text()) {
        let once = restringify(&text, Mode::Lenient).expect("generated text is valid JSON");
        let twice = restringify(&once.json, Mode::Lenient).expect("output is valid JSON");
        prop_assert_eq!(&twice.json, &once.json);
        prop_assert!(twice.warnings.is_empty(), "{:?}", twice.warnings);
        prop_assert_eq!(restringify(&once.json, Mode::Strict).map(|o| o.json), Ok(once.json));
    }

    #[test]
    fn parse_of_encode_is_the_value(value in js_value()) {
        let out = stringify(&value, Mode::Strict).expect("values within JavaScript's range");
        let parsed: Value = serde_json::from_str(&out.json).expect("output parses");
        prop_assert!(same_to_javascript(&parsed, &value), "{} vs {:?}", out.json, value);
        prop_assert_eq!(restringify(&out.json, Mode::Strict).map(|o| o.json), Ok(out.json));
    }

    #[test]
    fn stringify_and_restringify_agree(value in js_value()) {
        let typed = stringify(&value, Mode::Strict).expect("in range").json;
        let text = serde_json::to_string(&value).expect("serde_json writes it");
        prop_assert_eq!(restringify(&text, Mode::Strict).expect("valid").json, typed);
    }
}
