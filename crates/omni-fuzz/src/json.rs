//! The JSON.stringify-form re-writer (`json-stringify-form`).

use omni_json::{Mode, restringify};
use serde_json::Value;

/// `restringify` on any bytes, in both modes. Oracles: lenient and strict agree on what is
/// JSON; strict succeeds exactly when lenient has nothing to warn about, with the same text;
/// the output is a fixed point (re-stringifying it changes nothing and warns of nothing);
/// and, without warnings, the output parses back to the same value as the input, compared
/// as JavaScript compares them: numbers as doubles, the last of duplicate keys winning.
pub fn json_restringify(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lenient = restringify(text, Mode::Lenient);
    let strict = restringify(text, Mode::Strict);
    let Ok(lenient) = lenient else {
        assert!(
            strict.is_err(),
            "strict accepted what lenient refused: {text:?}"
        );
        return;
    };
    match &strict {
        Ok(s) => {
            assert!(
                lenient.warnings.is_empty(),
                "strict accepted a value lenient warned about"
            );
            assert_eq!(s.json, lenient.json);
        }
        Err(_) => assert!(!lenient.warnings.is_empty(), "strict refused a clean value"),
    }
    let again = restringify(&lenient.json, Mode::Lenient);
    assert!(
        again
            .as_ref()
            .is_ok_and(|a| a.json == lenient.json && a.warnings.is_empty()),
        "not a fixed point: {:?} -> {again:?}",
        lenient.json
    );
    if lenient.warnings.is_empty() {
        // serde_json refuses some texts JSON.parse takes (a lone surrogate escape): those are
        // checked by the fixed-point oracle only.
        if let (Ok(input), Ok(output)) = (
            serde_json::from_str::<Value>(text),
            serde_json::from_str::<Value>(&lenient.json),
        ) {
            assert!(
                same_as_javascript(&input, &output),
                "{text:?} -> {:?}",
                lenient.json
            );
        }
    }
}

/// Deep equality as JavaScript sees two parsed values: numbers compared as doubles (so `-0`
/// equals `0`), objects as maps (serde_json keeps the last of duplicate keys, as JSON.parse).
fn same_as_javascript(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_as_javascript(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_as_javascript(v, w)))
        }
        _ => a == b,
    }
}
