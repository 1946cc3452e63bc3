//! The search: every base string a signer falling into some of the pitfalls would have
//! written, signed with the partner's key and compared with the signature received.

use omni_sign::{CanonicalRequest, Signature, SignedHeaders, Signer};

use crate::body::BodyForm;
use crate::{BodyForms, Combination, Pitfall};

/// One signed header line as a faulty signer may have written it.
struct Line {
    name: String,
    value: String,
    secret: bool,
}

/// A piece of a base string as some signer wrote it, and the pitfalls that make it so.
struct Piece<T> {
    value: T,
    pitfalls: Vec<Pitfall>,
}

impl<T> Piece<T> {
    fn new(value: T, pitfalls: &[Pitfall]) -> Self {
        Piece {
            value,
            pitfalls: pitfalls.to_vec(),
        }
    }
}

/// The hash of a body form, and the form (`None` for the body as sent).
struct BodyHash {
    hex: String,
    form: Option<BodyForm>,
}

fn base_string(method: &str, path: &str, lines: &[Line], body_hash: &str, redact: bool) -> String {
    let mut out = format!("{method}\n{path}");
    for line in lines {
        let value = if redact && line.secret {
            omni_sign::REDACTED
        } else {
            &line.value
        };
        out.push('\n');
        out.push_str(&line.name);
        out.push(':');
        out.push_str(value);
    }
    out.push('\n');
    out.push_str(body_hash);
    out
}

fn lines_of(headers: &SignedHeaders<'_>, rename: impl Fn(&str) -> String) -> Vec<Line> {
    let mut lines = Vec::new();
    headers.for_each(|name, value| {
        lines.push(Line {
            name: rename(name),
            value: value.to_owned(),
            secret: name == omni_sign::header::STORE_TOKEN,
        });
    });
    // Sorted by the names as written: the pitfall is lowercasing after sorting, or never.
    lines.sort_by(|a, b| a.name.cmp(&b.name));
    lines
}

fn title_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The path part of `url` as sent: no scheme, host, query or fragment, `/api/v1` kept.
fn raw_path(url: &str) -> &str {
    let rest = match url.find("://") {
        Some(i) if !url.starts_with('/') => {
            let after = &url[i + 3..];
            &after[after.find(['/', '?', '#']).unwrap_or(after.len())..]
        }
        _ => url,
    };
    let path = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    if path.is_empty() { "/" } else { path }
}

/// The query of `url`, `?` included, fragment excluded.
fn query(url: &str) -> Option<&str> {
    let start = url.find('?')?;
    let rest = &url[start..];
    Some(&rest[..rest.find('#').unwrap_or(rest.len())])
}

fn paths(url: &str, canonical: &CanonicalRequest<'_>) -> Vec<Piece<String>> {
    use Pitfall::{ApiV1NotStripped, QuerySigned};
    let path = canonical.path().as_str();
    let raw = raw_path(url);
    let mut out = vec![Piece::new(path.to_owned(), &[])];
    if let Some(q) = query(url) {
        out.push(Piece::new(format!("{path}{q}"), &[QuerySigned]));
    }
    if raw != path {
        out.push(Piece::new(raw.to_owned(), &[ApiV1NotStripped]));
        if let Some(q) = query(url) {
            out.push(Piece::new(
                format!("{raw}{q}"),
                &[ApiV1NotStripped, QuerySigned],
            ));
        }
    }
    out
}

fn line_sets(received: &[(&str, &str)], canonical: &CanonicalRequest<'_>) -> Vec<Piece<Vec<Line>>> {
    use Pitfall::{HeaderNamesNotLowercased, StoreHeadersLeftOut};
    let as_received = |name: &str| {
        received
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or_else(|| name.to_owned(), |(n, _)| (*n).to_owned())
    };
    let signed = canonical.headers();
    let partner_only = signed
        .store_client_id()
        .map(|_| SignedHeaders::new(signed.partner_client_id(), signed.timestamp()));
    let mut out = Vec::new();
    for (headers, base) in [
        (Some(*signed), &[][..]),
        (partner_only, &[StoreHeadersLeftOut][..]),
    ] {
        let Some(headers) = headers else { continue };
        let mut with_names = base.to_vec();
        with_names.push(HeaderNamesNotLowercased);
        let mixed = lines_of(&headers, as_received);
        let title = lines_of(&headers, title_case);
        let same = |a: &[Line], b: &[Line]| a.iter().map(|l| &l.name).eq(b.iter().map(|l| &l.name));
        let mixed_differs = mixed
            .iter()
            .any(|l| l.name.bytes().any(|b| b.is_ascii_uppercase()));
        let title_differs = !same(&title, &mixed);
        out.push(Piece::new(lines_of(&headers, str::to_owned), base));
        if mixed_differs {
            out.push(Piece::new(mixed, &with_names));
        }
        if title_differs {
            out.push(Piece::new(title, &with_names));
        }
    }
    out
}

/// The hashes of the body as sent and of each [`BodyForm::SEARCHED`] form of it that differs,
/// with the pitfalls that give each. Forms are built only for bodies up to `limit` bytes.
fn bodies(
    body: &[u8],
    canonical: &CanonicalRequest<'_>,
    limit: usize,
) -> (Vec<Piece<BodyHash>>, BodyForms) {
    use Pitfall::{BodyKeysReordered, PrettyVsMinifiedBody};
    let mut out = vec![Piece::new(
        BodyHash {
            hex: canonical.body_hash().to_string(),
            form: None,
        },
        &[],
    )];
    if body.len() > limit {
        return (out, BodyForms::TooLarge { limit });
    }
    let Some(forms) = BodyForm::render_all(body, &BodyForm::SEARCHED) else {
        return (out, BodyForms::NotJson);
    };
    let mut seen: Vec<&str> = Vec::new();
    for (form, text) in &forms {
        if text.as_bytes() == body || seen.contains(&text.as_str()) {
            continue;
        }
        seen.push(text);
        let mut pitfalls = Vec::new();
        // The same layout with the keys as sent: if that is not the body sent, the
        // whitespace differs too.
        let unsorted = forms
            .iter()
            .find(|(f, _)| f.layout == form.layout && !f.keys_sorted)
            .map(|(_, t)| t.as_bytes());
        if unsorted != Some(body) {
            pitfalls.push(PrettyVsMinifiedBody);
        }
        if form.keys_sorted {
            pitfalls.push(BodyKeysReordered);
        }
        out.push(Piece::new(
            BodyHash {
                hex: omni_sign::BodyHash::of(text.as_bytes()).to_string(),
                form: Some(*form),
            },
            &pitfalls,
        ));
    }
    let tried = out.len() - 1;
    (out, BodyForms::Tried { count: tried })
}

/// Every combination of pitfalls whose base string is signed as `received`, minimal ones
/// only (no other reproducing combination is a strict subset), fewest pitfalls first. `first`
/// (the pitfalls of the failed check itself) are part of every combination.
pub(crate) fn search(
    signer: &Signer,
    received: &crate::Received<'_>,
    canonical: &CanonicalRequest<'_>,
    signature: &Signature,
    first: &[Pitfall],
    limit: usize,
) -> (Vec<Combination>, BodyForms) {
    let method = canonical.method().as_str();
    let paths = paths(received.url, canonical);
    let line_sets = line_sets(received.headers, canonical);
    let (bodies, body_forms) = bodies(received.body, canonical, limit);
    let mut found: Vec<Combination> = Vec::new();
    for path in &paths {
        for lines in &line_sets {
            for body in &bodies {
                let mut pitfalls = first.to_vec();
                for p in path
                    .pitfalls
                    .iter()
                    .chain(&lines.pitfalls)
                    .chain(&body.pitfalls)
                {
                    if !pitfalls.contains(p) {
                        pitfalls.push(*p);
                    }
                }
                if pitfalls.len() == first.len() {
                    // The base string the server expects: the caller knows it does not match.
                    continue;
                }
                let text = base_string(method, &path.value, &lines.value, &body.value.hex, false);
                if signer.sign_base_string(&text) == *signature {
                    found.push(Combination {
                        pitfalls,
                        body_form: body.value.form,
                        base_string: base_string(
                            method,
                            &path.value,
                            &lines.value,
                            &body.value.hex,
                            true,
                        ),
                    });
                }
            }
        }
    }
    (minimal(found), body_forms)
}

/// Drops combinations that hold another as a strict subset, and repeats of the same set;
/// sorts the rest by size (stable: the search order breaks ties).
fn minimal(found: Vec<Combination>) -> Vec<Combination> {
    let is_subset = |a: &[Pitfall], b: &[Pitfall]| a.iter().all(|p| b.contains(p));
    let mut kept: Vec<Combination> = Vec::new();
    for (i, c) in found.iter().enumerate() {
        let dominated = found.iter().enumerate().any(|(j, other)| {
            j != i
                && is_subset(&other.pitfalls, &c.pitfalls)
                && (other.pitfalls.len() < c.pitfalls.len() || j < i)
        });
        if !dominated {
            kept.push(c.clone());
        }
    }
    kept.sort_by_key(|c| c.pitfalls.len());
    kept
}

impl BodyForm {
    /// `body` in each of `forms`, minified and sorted once; `None` if it is not JSON.
    fn render_all(body: &[u8], forms: &[BodyForm]) -> Option<Vec<(BodyForm, String)>> {
        let minified = crate::body::minify(body)?;
        let sorted = crate::body::sort_keys(&minified)?;
        Some(
            forms
                .iter()
                .map(|form| {
                    let keys = if form.keys_sorted { &sorted } else { &minified };
                    (*form, crate::body::lay_out(keys, form.layout))
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_path_and_query() {
        assert_eq!(raw_path("https://h/api/v1/x?a=1#f"), "/api/v1/x");
        assert_eq!(raw_path("https://h"), "/");
        assert_eq!(raw_path("/api/v1/x?a"), "/api/v1/x");
        assert_eq!(query("https://h/x?a=1#f"), Some("?a=1"));
        assert_eq!(query("https://h/x"), None);
    }

    #[test]
    fn title_case_of_header_names() {
        assert_eq!(title_case("x-partner-client-id"), "X-Partner-Client-Id");
    }

    #[test]
    fn minimal_keeps_the_smallest_sets_only() {
        let c = |p: &[Pitfall]| Combination {
            pitfalls: p.to_vec(),
            body_form: None,
            base_string: String::new(),
        };
        use Pitfall::*;
        let kept = minimal(vec![
            c(&[QuerySigned, ApiV1NotStripped]),
            c(&[HeaderNamesNotLowercased]),
            c(&[QuerySigned]),
            c(&[HeaderNamesNotLowercased]),
        ]);
        let names: Vec<Vec<Pitfall>> = kept.into_iter().map(|c| c.pitfalls).collect();
        assert_eq!(names, [vec![HeaderNamesNotLowercased], vec![QuerySigned]]);
    }
}
