//! The verdict as versioned JSON (schema in the crate README), so that libomni and the
//! bindings pass it through instead of each re-encoding the Rust types.

use serde::Serialize;

use crate::{BodyForm, BodyForms, Combination, Outcome, Pitfall, Verdict};

/// The version of the JSON shape. Fields may be added within a version; none is removed or
/// changes meaning.
pub const VERDICT_JSON_VERSION: u32 = 1;

#[derive(Serialize)]
struct PitfallJson {
    name: &'static str,
    advice: &'static str,
}

impl From<&Pitfall> for PitfallJson {
    fn from(p: &Pitfall) -> Self {
        PitfallJson {
            name: p.name(),
            advice: p.advice(),
        }
    }
}

#[derive(Serialize)]
struct BodyFormJson {
    label: String,
    layout: String,
    keys_sorted: bool,
}

impl From<&BodyForm> for BodyFormJson {
    fn from(f: &BodyForm) -> Self {
        BodyFormJson {
            label: f.to_string(),
            layout: f.layout.name(),
            keys_sorted: f.keys_sorted,
        }
    }
}

#[derive(Serialize)]
struct CombinationJson<'v> {
    pitfalls: Vec<PitfallJson>,
    body_form: Option<BodyFormJson>,
    base_string: &'v str,
}

impl<'v> From<&'v Combination> for CombinationJson<'v> {
    fn from(c: &'v Combination) -> Self {
        CombinationJson {
            pitfalls: c.pitfalls.iter().map(PitfallJson::from).collect(),
            body_form: c.body_form.as_ref().map(BodyFormJson::from),
            base_string: &c.base_string,
        }
    }
}

#[derive(Serialize)]
struct BodyJson {
    bytes: usize,
    alternate_forms: &'static str,
    forms_tried: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit_bytes: Option<usize>,
}

#[derive(Serialize)]
struct VerdictJson<'v> {
    version: u32,
    accepted: bool,
    check: Option<&'static str>,
    message: Option<String>,
    signature_format: Option<&'static str>,
    timestamp_age_ms: Option<i64>,
    tolerance_ms: u64,
    strict: bool,
    signature_matches_request: Option<bool>,
    check_pitfalls: Vec<PitfallJson>,
    combinations: Vec<CombinationJson<'v>>,
    expected_base_string: Option<&'v str>,
    body: BodyJson,
}

impl<'v> From<&'v Verdict> for VerdictJson<'v> {
    fn from(v: &'v Verdict) -> Self {
        let message = match &v.outcome {
            Outcome::Accepted => None,
            Outcome::Rejected(e) => Some(e.to_string()),
        };
        let (alternate_forms, forms_tried, limit_bytes) = match v.body_forms {
            BodyForms::NotSearched => ("not_searched", 0, None),
            BodyForms::Tried { count } => ("tried", count, None),
            BodyForms::NotJson => ("not_json", 0, None),
            BodyForms::TooLarge { limit } => ("too_large", 0, Some(limit)),
        };
        VerdictJson {
            version: VERDICT_JSON_VERSION,
            accepted: v.is_accepted(),
            check: v.check(),
            message,
            signature_format: v.signature_format.map(|f| match f {
                omni_sign::SignatureFormat::BareHex => "bare_hex",
                _ => "prefixed",
            }),
            timestamp_age_ms: v.timestamp_age_ms,
            tolerance_ms: v.tolerance_ms,
            strict: v.strict,
            signature_matches_request: v.signature_matches_request,
            check_pitfalls: v.check_pitfalls.iter().map(PitfallJson::from).collect(),
            combinations: v.combinations.iter().map(CombinationJson::from).collect(),
            expected_base_string: v.expected_base_string.as_deref(),
            body: BodyJson {
                bytes: v.body_bytes,
                alternate_forms,
                forms_tried,
                limit_bytes,
            },
        }
    }
}

impl Verdict {
    /// The verdict as compact JSON, `"version": 1` (schema: the crate README). Holds no secret:
    /// base strings have the store token replaced by `REDACTED`.
    pub fn to_json(&self) -> String {
        serde_json::to_string(&VerdictJson::from(self)).unwrap_or_else(|_| unreachable_json())
    }

    /// [`Verdict::to_json`], indented for people.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&VerdictJson::from(self))
            .unwrap_or_else(|_| unreachable_json())
    }
}

/// serde_json fails only on maps with non-string keys and on `Serialize` impls that fail;
/// the shape above has neither. Should that ever change, the answer is still JSON.
fn unreachable_json() -> String {
    format!(r#"{{"version":{VERDICT_JSON_VERSION},"error":"the verdict could not be written"}}"#)
}
