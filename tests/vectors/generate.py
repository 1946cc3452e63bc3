#!/usr/bin/env python3
"""Writes tests/vectors/signing.json: Omni Partner API signing vectors.

This is an independent implementation of the signing scheme, written from the partner
authentication guide (Toco's Omni partner authentication document) and the signing decisions
(signature-format to body-hash-exact-bytes) of docs/DECISIONS.md, with nothing but Python's
standard library (hashlib, hmac). It shares
no code with the Rust crate omni-sign, which checks itself against the file this writes.

    python3 tests/vectors/generate.py          # rewrite signing.json
    python3 tests/vectors/generate.py --check  # fail if signing.json is not what this writes

The schema is documented in tests/vectors/README.md.
"""

import hashlib
import hmac
import json
import re
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "signing.json"

# The guide's GET example, its base string copied verbatim from the guide.
GUIDE_GET_BASE_STRING = """GET
/partner/stores/catalog/02b65657-bfcd-47ba-9f91-ec67e7b5913e
x-partner-client-id:ptnr_1s4UqMnO64
x-store-client-id:str_TGIxyboe7-Rz
x-store-token:stkn_1G_R3r_5QTvwr_0O
x-timestamp:1709024577000
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"""

# The guide's POST example, with <BODY_SHA256_HEX> left for the body we choose.
GUIDE_POST_BASE_STRING = """POST
/partner/stores/catalog/sync
x-partner-client-id:ptnr_1s4UqMnO64
x-store-client-id:store_NB5DgDcEoWEu
x-store-token:stkn_Xfe-j_OKH5H2Xg66
x-timestamp:1709024577000
<BODY_SHA256_HEX>"""

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# Largest integer every JSON reader (JavaScript, Python, Go's float64 default) keeps exact.
MAX_SAFE_INTEGER = 2**53 - 1

TS = 1709024577000
PARTNER = "ptnr_1s4UqMnO64"
STORE = "str_TGIxyboe7-Rz"
TOKEN = "stkn_1G_R3r_5QTvwr_0O"
SECRET = "partner-secret-key"


class SigningError(Exception):
    """A rule of the guide or of docs/DECISIONS.md that the input breaks; `kind` names it."""

    def __init__(self, kind, why):
        super().__init__(f"{kind}: {why}")
        self.kind = kind


# --- the scheme ------------------------------------------------------------------------------

# RFC 9110 token characters, without lowercase letters (`signed-headers`: the method is an
# uppercase HTTP token; a lowercase one is rejected, not uppercased).
METHOD_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~")
SCHEME_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def is_control(ch):
    return ord(ch) < 0x20 or ord(ch) == 0x7F


def check_method(method):
    if not method or any(ch not in METHOD_CHARS for ch in method):
        raise SigningError("invalid_method", f"{method!r} is not an uppercase HTTP token")


def signed_path(url):
    """PATH (`path-rules`): the path of the URL sent, without scheme, host, query, fragment;
    a leading /api/v1 stripped as a whole segment; encoding kept exactly as sent."""
    if any(is_control(ch) for ch in url):
        raise SigningError("invalid_url", "control character in the URL")
    if url.startswith("/"):
        after_authority = url
    else:
        scheme, sep, rest = url.partition("://")
        if not sep or not SCHEME_RE.fullmatch(scheme):
            raise SigningError("invalid_url", "neither an absolute URL nor a path")
        # The authority ends at the first '/', '?' or '#'.
        m = re.search(r"[/?#]", rest)
        cut = m.start() if m else len(rest)
        if cut == 0:
            raise SigningError("invalid_url", "no host")
        after_authority = rest[cut:]
    path = re.split(r"[?#]", after_authority, maxsplit=1)[0]
    # The path signed must be the path on the wire: raw spaces and non-ASCII are never sent
    # as they are, so signing them would sign something no server sees.
    if any(ch == " " or ord(ch) > 0x7E for ch in path):
        raise SigningError("invalid_url", "space or non-ASCII in the path")
    if path == "/api/v1":
        return "/"
    if path.startswith("/api/v1/"):
        return path[len("/api/v1") :]
    return path or "/"


def check_header_value(name, value):
    """`signed-headers`: non-empty visible ASCII, inner spaces allowed, none at either end."""
    ok = (
        value != ""
        and all(0x20 <= ord(ch) <= 0x7E for ch in value)
        and not value.startswith(" ")
        and not value.endswith(" ")
    )
    if not ok:
        raise SigningError("invalid_header_value", f"{name} value {value!r}")


def header_lines(partner_client_id, store_client_id, store_token, timestamp_ms):
    """The signed header lines, names lowercase, sorted, `name:value` with no spaces."""
    if timestamp_ms < 0:
        raise SigningError("invalid_timestamp", "negative timestamp")
    if store_client_id is not None and store_token is None:
        raise SigningError("store_token_missing", "store client id without store token")
    if store_token is not None and store_client_id is None:
        raise SigningError("store_client_id_missing", "store token without store client id")
    headers = {"x-partner-client-id": partner_client_id, "x-timestamp": str(timestamp_ms)}
    if store_client_id is not None:
        headers["x-store-client-id"] = store_client_id
        headers["x-store-token"] = store_token
    for name, value in headers.items():
        check_header_value(name, value)
    return [f"{name}:{headers[name]}" for name in sorted(headers)]


def sign(case):
    """Every stage for one case, or SigningError naming the one rule it breaks."""
    secret = case["secret"].encode("utf-8")
    if not secret:
        raise SigningError("empty_secret", "empty secret")
    check_method(case["method"])
    path = signed_path(case["url"])
    lines = header_lines(
        case["partner_client_id"],
        case["store_client_id"],
        case["store_token"],
        case["timestamp_ms"],
    )
    body_hash = hashlib.sha256(bytes.fromhex(case["body_hex"])).hexdigest()
    base_string = "\n".join([case["method"], path, *lines, body_hash])
    mac = hmac.new(secret, base_string.encode("ascii"), hashlib.sha256).hexdigest()
    return {
        "path": path,
        "body_hash": body_hash,
        "base_string": base_string,
        "signature": "sha256=" + mac,
    }


# --- the cases ---------------------------------------------------------------------------------


def case(
    name,
    *,
    method="GET",
    url="/partner/x",
    secret=SECRET,
    partner=PARTNER,
    store=None,
    token=None,
    ts=TS,
    body=b"",
):
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {
        "name": name,
        "secret": secret,
        "method": method,
        "url": url,
        "partner_client_id": partner,
        "store_client_id": store,
        "store_token": token,
        "timestamp_ms": ts,
        "body_hex": body.hex(),
    }


def scoped(name, **kw):
    kw.setdefault("store", STORE)
    kw.setdefault("token", TOKEN)
    return case(name, **kw)


def deterministic_bytes(n, seed):
    """n bytes of a SHA-256 counter stream: the same on every machine."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


API = "https://partners-api.tocobagus.net/api/v1"
CATALOG_ID = "02b65657-bfcd-47ba-9f91-ec67e7b5913e"
POST_BODY = '{"storeId":"str_TGIxyboe7-Rz","products":[{"sku":"SKU-1","name":"Sample","price":15000}]}'


def valid_cases():
    return [
        # The guide's three examples.
        scoped(
            "guide_get_example",
            url=f"{API}/partner/stores/catalog/{CATALOG_ID}",
        ),
        scoped(
            "guide_post_example_shape",
            method="POST",
            url=f"{API}/partner/stores/catalog/sync",
            store="store_NB5DgDcEoWEu",
            token="stkn_Xfe-j_OKH5H2Xg66",
            body=POST_BODY,
        ),
        scoped(
            "guide_curl_example",
            method="POST",
            url="https://api.example.com/partner/products?lang=id&sku=SKU-1",
            partner="ptnr_AbC123",
            store="str_9xyZ",
            token="stkn_example",
            body='{"name":"Sample","sku":"SKU-1"}',
        ),
        case(
            "onboard_session_partner_level",
            method="POST",
            url=f"{API}/partner/onboard/sessions",
            body='{"redirectUri":"https://example.com/done"}',
        ),
        # Each method, partner-level and store-scoped.
        case("method_get_partner_level", method="GET", url=f"{API}/partner/stores"),
        scoped("method_post_store_scoped", method="POST", url=f"{API}/partner/products", body='{"sku":"A"}'),
        scoped("method_put_store_scoped", method="PUT", url=f"{API}/partner/products/SKU-1", body='{"name":"B"}'),
        case("method_patch_partner_level", method="PATCH", url=f"{API}/partner/profile", body='{"phone":"+62"}'),
        scoped("method_delete_store_scoped", method="DELETE", url=f"{API}/partner/products/SKU-1"),
        case("method_delete_with_body", method="DELETE", url="/partner/products", body='{"skus":["A","B"]}'),
        case("method_head_other_token", method="HEAD", url="/partner/x"),
        case("method_options_other_token", method="OPTIONS", url="/partner/x"),
        # PATH (`path-rules`).
        case("path_api_v1_alone", url="/api/v1"),
        case("path_api_v1_trailing_slash", url="/api/v1/"),
        case("path_api_v1_alone_with_query", url="https://h.example/api/v1?x=1"),
        case("path_api_v10_not_stripped", url="/api/v10/partner/x"),
        case("path_api_v1x_not_stripped", url="/api/v1x/partner"),
        case("path_api_v2_not_stripped", url=f"https://h.example/api/v2/partner/x"),
        case("path_other_prefix_kept", url="/v1/api/v1/partner/x"),
        case("path_api_v1_stripped_once", url="/api/v1/api/v1/partner/x"),
        case("path_without_prefix", url="https://h.example/partner/x"),
        case("path_bare_no_prefix", url="/partner/stores/catalog"),
        case("path_empty_is_root", url="https://h.example"),
        case("path_empty_with_query_is_root", url="https://h.example?x=1"),
        case("path_root", url="/"),
        case("path_query_dropped", url=f"{API}/partner/products?lang=id&sku=SKU-1"),
        case("path_query_holding_api_v1", url="/partner/x?next=/api/v1/y"),
        case("path_fragment_dropped", url=f"{API}/partner/products#section-2"),
        case("path_query_and_fragment_dropped", url="/api/v1/partner/products?a=1&b=2#top"),
        case("path_empty_query", url="/partner/x?"),
        case("path_host_with_port_and_userinfo", url="http://user:pw@127.0.0.1:8080/api/v1/partner/x"),
        case("path_uppercase_scheme", url="HTTPS://H.EXAMPLE/api/v1/partner/X"),
        case("path_percent_encoded_slash_kept", url="/api/v1/partner/files/a%2Fb"),
        case("path_lowercase_percent_encoding_kept", url="/api/v1/partner/files/a%2fb"),
        case("path_percent_encoded_utf8_kept", url="/api/v1/partner/stores/caf%C3%A9/%E2%82%AC"),
        case("path_encoded_space_kept", url="/partner/search/red%20shoes"),
        case("path_dot_segments_kept", url="/api/v1/partner/./x/../y"),
        case("path_double_slash_kept", url="/partner//x"),
        case("path_trailing_slash_kept", url="/api/v1/partner/x/"),
        case("path_case_kept", url="/Partner/Stores/ABC"),
        case("path_params_and_sub_delims", url="/partner/items;v=2/a:b@c!$&'()*+,=-._~"),
        # Bodies (`body-hash-exact-bytes`): the exact bytes.
        case("body_empty_post", method="POST", url="/partner/x"),
        case("body_json_compact", method="POST", body='{"a":1,"b":[true,false,null],"c":"x"}'),
        case("body_json_pretty_printed", method="POST", body='{\n  "a": 1,\n  "b": "x"\n}\n'),
        case("body_json_key_order_matters", method="POST", body='{"b":"x","a":1}'),
        case("body_json_utf8_text", method="POST", body='{"name":"Kopi Susu \u2615","city":"Bandung"}'),
        case("body_json_escaped_unicode", method="POST", body='{"name":"Kopi Susu \\u2615"}'),
        case("body_binary_all_byte_values", method="PUT", body=bytes(range(256))),
        case("body_single_zero_byte", method="POST", body=b"\x00"),
        case("body_55_bytes_one_sha_block", method="POST", body=b"a" * 55),
        case("body_56_bytes_two_sha_blocks", method="POST", body=b"a" * 56),
        case("body_64_bytes", method="POST", body=b"b" * 64),
        case("body_65_bytes", method="POST", body=b"c" * 65),
        scoped(
            "body_large_100_kib",
            method="POST",
            url=f"{API}/partner/stores/catalog/sync",
            body=deterministic_bytes(100 * 1024, "omni-large-body"),
        ),
        # Signed header values (`signed-headers` and `timestamp-window`).
        case("partner_only_no_store_lines", url=f"{API}/partner/stores"),
        scoped("store_scoped_guide_values", url=f"{API}/partner/stores/me"),
        case("header_value_inner_space_allowed", partner="ptnr with space"),
        scoped("header_values_punctuation", partner="p:a=b/c", store="s_!#$%&'*+", token="t~|^`{}[]\\\"<>?"),
        case("header_value_single_char", partner="p"),
        case("header_value_looks_like_a_line", partner="x-timestamp:1"),
        case("timestamp_zero", ts=0),
        case("timestamp_one", ts=1),
        case("timestamp_max_safe_integer", ts=MAX_SAFE_INTEGER),
        case("timestamp_seconds_not_millis", ts=1709024577),
        # Secrets: HMAC pads keys up to 64 bytes and hashes longer ones first.
        case("secret_one_byte", secret="k"),
        case("secret_63_bytes", secret="s" * 63),
        case("secret_64_bytes", secret="s" * 64),
        case("secret_65_bytes_hashed_key", secret="s" * 65),
        case("secret_200_bytes_hashed_key", secret=deterministic_bytes(100, "secret").hex()),
        case("secret_utf8_multibyte", secret="rahasia-\u00e9\u20ac-\U0001f511"),
        case("secret_with_spaces_and_newline", secret=" line one\nline two "),
        scoped("secret_odd_length_store_scoped", secret="x" * 33, method="POST", body="{}"),
    ]


def error_cases():
    return [
        ("secret_empty", case("secret_empty", secret=""), "empty_secret"),
        ("method_lowercase", case("method_lowercase", method="get"), "invalid_method"),
        ("method_mixed_case", case("method_mixed_case", method="Post"), "invalid_method"),
        ("method_empty", case("method_empty", method=""), "invalid_method"),
        ("method_trailing_space", case("method_trailing_space", method="GET "), "invalid_method"),
        ("method_with_slash", case("method_with_slash", method="GET/"), "invalid_method"),
        ("store_id_without_token", case("store_id_without_token", store=STORE), "store_token_missing"),
        ("token_without_store_id", case("token_without_store_id", token=TOKEN), "store_client_id_missing"),
        ("partner_id_with_newline", case("partner_id_with_newline", partner="ptnr\nx"), "invalid_header_value"),
        ("partner_id_with_cr", case("partner_id_with_cr", partner="ptnr\rx"), "invalid_header_value"),
        ("partner_id_with_crlf_at_end", case("partner_id_with_crlf_at_end", partner="ptnr\r\n"), "invalid_header_value"),
        ("partner_id_leading_space", case("partner_id_leading_space", partner=" ptnr"), "invalid_header_value"),
        ("partner_id_trailing_space", case("partner_id_trailing_space", partner="ptnr "), "invalid_header_value"),
        ("partner_id_tab", case("partner_id_tab", partner="ptnr\tx"), "invalid_header_value"),
        ("partner_id_non_ascii", case("partner_id_non_ascii", partner="ptnr_\u00e9"), "invalid_header_value"),
        ("partner_id_empty", case("partner_id_empty", partner=""), "invalid_header_value"),
        ("partner_id_nul", case("partner_id_nul", partner="ptnr\x00"), "invalid_header_value"),
        ("partner_id_del", case("partner_id_del", partner="ptnr\x7f"), "invalid_header_value"),
        (
            "store_token_forging_a_line",
            scoped("store_token_forging_a_line", token="stkn\nx-timestamp:1"),
            "invalid_header_value",
        ),
        ("store_id_with_newline", scoped("store_id_with_newline", store="str\n"), "invalid_header_value"),
        ("store_token_empty", scoped("store_token_empty", token=""), "invalid_header_value"),
        ("url_relative", case("url_relative", url="partner/x"), "invalid_url"),
        ("url_empty", case("url_empty", url=""), "invalid_url"),
        ("url_no_scheme", case("url_no_scheme", url="://h.example/partner/x"), "invalid_url"),
        ("url_bad_scheme", case("url_bad_scheme", url="1http://h.example/partner/x"), "invalid_url"),
        ("url_no_host", case("url_no_host", url="https:///partner/x"), "invalid_url"),
        ("url_newline_in_path", case("url_newline_in_path", url="/partner/x\nx-timestamp:1"), "invalid_url"),
        ("url_cr_in_path", case("url_cr_in_path", url="/partner/\rx"), "invalid_url"),
        ("url_nul_in_path", case("url_nul_in_path", url="/partner/\x00"), "invalid_url"),
        ("url_del_in_path", case("url_del_in_path", url="/partner/x\x7f"), "invalid_url"),
        ("url_tab_in_query", case("url_tab_in_query", url="/partner/x?a=\tb"), "invalid_url"),
        ("url_raw_space_in_path", case("url_raw_space_in_path", url="https://h.example/partner/a b"), "invalid_url"),
        ("url_raw_non_ascii_in_path", case("url_raw_non_ascii_in_path", url="/partner/caf\u00e9"), "invalid_url"),
        ("timestamp_negative", case("timestamp_negative", ts=-1), "invalid_timestamp"),
    ]


def build():
    cases = []
    for c in valid_cases():
        c["expect"] = sign(c)
        cases.append(c)
    errors = []
    for name, c, kind in error_cases():
        assert c["name"] == name
        try:
            sign(c)
        except SigningError as e:
            if e.kind != kind:
                sys.exit(f"{name}: expected {kind}, this implementation says {e.kind}")
        else:
            sys.exit(f"{name}: expected {kind}, but it signed")
        c["expect_error"] = kind
        errors.append(c)

    names = [c["name"] for c in cases + errors]
    assert len(names) == len(set(names)), "duplicate case names"
    for c in cases + errors:
        ts = c["timestamp_ms"]
        assert -MAX_SAFE_INTEGER <= ts <= MAX_SAFE_INTEGER, c["name"]

    # The guide's own text, checked against this implementation.
    by_name = {c["name"]: c for c in cases}
    assert by_name["guide_get_example"]["expect"]["base_string"] == GUIDE_GET_BASE_STRING
    post = by_name["guide_post_example_shape"]["expect"]
    assert post["base_string"] == GUIDE_POST_BASE_STRING.replace("<BODY_SHA256_HEX>", post["body_hash"])
    assert by_name["body_empty_post"]["expect"]["body_hash"] == EMPTY_SHA256
    # RFC 4231 test case 2 keeps the HMAC honest.
    assert (
        hmac.new(b"Jefe", b"what do ya want for nothing?", hashlib.sha256).hexdigest()
        == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )

    return {"version": 1, "cases": cases, "error_cases": errors}


def main():
    vectors = build()
    text = json.dumps(vectors, indent=2, ensure_ascii=False) + "\n"
    if sys.argv[1:] == ["--check"]:
        if OUT.read_text(encoding="utf-8") != text:
            sys.exit(f"{OUT} is stale: run python3 tests/vectors/generate.py")
        print(f"{OUT.name} is up to date")
        return
    if sys.argv[1:]:
        sys.exit("usage: generate.py [--check]")
    OUT.write_text(text, encoding="utf-8")
    n_cases, n_errors = len(vectors["cases"]), len(vectors["error_cases"])
    print(f"wrote {OUT} ({n_cases} cases, {n_errors} error cases)")


if __name__ == "__main__":
    main()
