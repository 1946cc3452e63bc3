"""Tests of the Python module `omni` (PyO3) against tests/vectors/signing.json, hostile calls,
the text rules and threads sharing one Signer.

    bash scripts/check-native.sh            (builds the wheel, installs it in a venv, runs pytest)
"""

import inspect
import json
import os
import threading

import pytest

import omni

VECTORS = os.environ.get("OMNI_VECTORS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "vectors", "signing.json")

with open(VECTORS, encoding="utf-8") as f:
    DOC = json.load(f)
assert DOC["version"] == 1
CASES = DOC["cases"]
ERROR_CASES = DOC["error_cases"]


def args(case):
    return dict(method=case["method"], url=case["url"],
                partner_client_id=case["partner_client_id"], timestamp_ms=case["timestamp_ms"],
                body=bytes.fromhex(case["body_hex"]), store_client_id=case["store_client_id"],
                store_token=case["store_token"])


def refusal(fn, *a, **kw):
    with pytest.raises(omni.OmniError) as info:
        fn(*a, **kw)
    return info.value


def test_there_are_vectors():
    assert len(CASES) > 0 and len(ERROR_CASES) > 0


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case):
    a = args(case)
    e = case["expect"]
    assert omni.sign(case["secret"], **a) == e["signature"]
    assert omni.sign(case["secret"].encode(), **a) == e["signature"]
    assert omni.base_string(**a) == e["base_string"]
    assert omni.body_hash(a["body"]) == e["body_hash"]
    with omni.Signer(case["secret"]) as signer:
        assert signer.sign(**a) == e["signature"]
        assert signer.sign(**a, bare_hex=True) == e["signature"][7:]
        assert signer.sign(**{**a, "body": bytearray(a["body"])}) == e["signature"]
        assert signer.sign(**{**a, "body": memoryview(a["body"])}) == e["signature"]
        row = (a["method"], a["url"], a["partner_client_id"], a["timestamp_ms"], a["body"],
               a["store_client_id"], a["store_token"])
        assert signer.sign_many([row, row]) == [e["signature"]] * 2
        assert signer.sign_many([row], bare_hex=True) == [e["signature"][7:]]
    omni.verify(case["secret"], a["method"], a["url"], a["partner_client_id"],
                case["timestamp_ms"], e["signature"], a["body"], a["store_client_id"],
                a["store_token"], now_ms=case["timestamp_ms"], strict=True)
    omni.verify(case["secret"], a["method"], a["url"], a["partner_client_id"],
                str(case["timestamp_ms"]), e["signature"][7:], a["body"],
                a["store_client_id"], a["store_token"], now_ms=case["timestamp_ms"])


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_error_case(case):
    want = "OMNI_" + case["expect_error"].upper()
    a = args(case)
    e = refusal(omni.sign, case["secret"], **a)
    assert (type(e), e.status) == (omni.InvalidInputError, want)
    assert isinstance(e, ValueError)
    assert str(e).startswith(want + ": ")
    if case["expect_error"] == "empty_secret":
        assert refusal(omni.Signer, case["secret"]).status == want
        return
    assert refusal(omni.base_string, **a).status == want
    with omni.Signer(case["secret"]) as signer:
        assert refusal(signer.sign, **a).status == want
        row = (a["method"], a["url"], a["partner_client_id"], a["timestamp_ms"], a["body"],
               a["store_client_id"], a["store_token"])
        assert refusal(signer.sign_many, [("GET", "/x", "p", 1), row]).status == want


GOOD = dict(method="POST", url="https://h/api/v1/partner/x", partner_client_id="ptnr_1",
            timestamp_ms=1709024577000, body=b"{}", store_client_id="str_1", store_token="stkn_1")


def test_errors_are_a_hierarchy():
    for cls in (omni.InvalidInputError, omni.InvalidUtf8Error, omni.ArgumentTypeError,
                omni.VerificationError, omni.InvalidJsonError):
        assert issubclass(cls, omni.OmniError)
    assert issubclass(omni.ArgumentTypeError, TypeError)
    assert issubclass(omni.InvalidUtf8Error, omni.InvalidInputError)
    e = omni.InvalidInputError("OMNI_X", "why")
    assert (e.status, e.message, str(e)) == ("OMNI_X", "why", "OMNI_X: why")


def test_lone_surrogates_are_invalid_utf8_never_replaced():
    s = omni.Signer("k")
    for field in ("method", "url", "partner_client_id", "store_client_id", "store_token"):
        e = refusal(s.sign, **{**GOOD, field: GOOD[field] + "\ud800"})
        assert (type(e), e.status) == (omni.InvalidUtf8Error, "OMNI_INVALID_UTF8"), field
        assert field in e.message
    assert refusal(s.sign, **{**GOOD, "body": "\udfff"}).status == "OMNI_INVALID_UTF8"
    assert refusal(omni.Signer, "key\ud800").status == "OMNI_INVALID_UTF8"
    assert refusal(omni.json_stringify, '"\ud800"').status == "OMNI_INVALID_UTF8"


def test_non_utf8_bytes_where_text_is_expected():
    s = omni.Signer("k")
    for field in ("method", "url", "partner_client_id", "store_client_id", "store_token"):
        e = refusal(s.sign, **{**GOOD, field: b"\xff\xfe"})
        assert e.status == "OMNI_INVALID_UTF8", field
    # UTF-8 bytes are text like str.
    assert s.sign(**{k: (v.encode() if isinstance(v, str) else v) for k, v in GOOD.items()}) \
        == s.sign(**GOOD)
    assert refusal(omni.json_stringify, b"\xff").status == "OMNI_INVALID_UTF8"


def test_embedded_nul_is_refused_never_truncated():
    s = omni.Signer("k")
    want = {"method": "OMNI_INVALID_METHOD", "url": "OMNI_INVALID_URL",
            "partner_client_id": "OMNI_INVALID_HEADER_VALUE",
            "store_client_id": "OMNI_INVALID_HEADER_VALUE",
            "store_token": "OMNI_INVALID_HEADER_VALUE"}
    for field, status in want.items():
        for value in (GOOD[field] + "\0", GOOD[field] + "\0tail"):
            e = refusal(s.sign, **{**GOOD, field: value})
            assert (type(e), e.status) == (omni.InvalidInputError, status), field
    # In a body or a secret a NUL is just a byte.
    assert s.sign(**{**GOOD, "body": b"\0"}) != s.sign(**{**GOOD, "body": b""})
    # (Not "k\0" against "k": HMAC pads a short key with zeros, so those are the same key.)
    assert omni.sign("k\0x", **GOOD) != omni.sign("k", **GOOD)
    assert refusal(omni.json_stringify, '{"a":1}\0').status == "OMNI_INVALID_JSON"


@pytest.mark.parametrize("field", ["method", "url", "partner_client_id", "timestamp_ms"])
def test_none_for_a_required_argument(field):
    e = refusal(omni.Signer("k").sign, **{**GOOD, field: None})
    assert (type(e), e.status) == (omni.ArgumentTypeError, "OMNI_NULL_ARGUMENT")
    assert isinstance(e, TypeError) and field in e.message


def test_signer_sign_takes_arguments_as_python_functions_do():
    s = omni.Signer("k")
    want = s.sign(**GOOD)
    values = list(GOOD.values())
    # Any split between positional and keyword arguments, and the default values.
    for split in range(len(values) + 1):
        assert s.sign(*values[:split], **dict(list(GOOD.items())[split:])) == want
    assert s.sign(*values, False) == want
    assert s.sign(*values, True) == want[7:]
    assert s.sign(*values, bare_hex=True) == want[7:]
    assert omni.Signer.sign(s, *values) == want
    plain = dict(GOOD, body=None, store_client_id=None, store_token=None)
    assert s.sign(*values[:4]) == s.sign(**plain) == omni.sign("k", **plain)
    assert list(inspect.signature(omni.Signer.sign).parameters) == [
        "self", "method", "url", "partner_client_id", "timestamp_ms", "body", "store_client_id",
        "store_token", "bare_hex"]
    # What Python refuses for such a signature is a TypeError, as PyO3 raises it.
    for a, kw, words in [(values[:3], {}, "missing required argument 'timestamp_ms'"),
                         ((), {"url": "/x"}, "missing required argument 'method'"),
                         (values, {"unknown": 1}, "unexpected keyword argument 'unknown'"),
                         (values[:2], {"url": "/y", "partner_client_id": "p", "timestamp_ms": 1},
                          "multiple values for argument 'url'"),
                         (values + [False, 1], {}, "at most 8 arguments (9 given)")]:
        with pytest.raises(TypeError) as info:
            s.sign(*a, **kw)
        assert not isinstance(info.value, omni.OmniError) and words in str(info.value)
    for flag in (1, "yes", None):
        with pytest.raises(TypeError):
            s.sign(*values, bare_hex=flag)
    with pytest.raises(TypeError):
        omni.Signer.sign(object(), *values)
    with pytest.raises(TypeError):
        omni.Signer.sign()


def test_hostile_calls_raise_typed_errors():
    s = omni.Signer("k")
    for secret in (None, 5, 1.5, object()):
        assert type(refusal(omni.Signer, secret)) is omni.ArgumentTypeError
        assert type(refusal(omni.sign, secret, **GOOD)) is omni.ArgumentTypeError
    for field, value in [("method", 1), ("url", ["/x"]), ("partner_client_id", bytearray(b"p")),
                         ("store_client_id", 7), ("store_token", object()), ("body", 5),
                         ("body", [1, 2]), ("timestamp_ms", 1.0), ("timestamp_ms", "1")]:
        e = refusal(s.sign, **{**GOOD, field: value})
        assert (type(e), e.status) == (omni.ArgumentTypeError, "OMNI_INVALID_INPUT"), field
    for ts in (-1, 2**63, -(2**70)):
        e = refusal(s.sign, **{**GOOD, "timestamp_ms": ts})
        assert (type(e), e.status) == (omni.InvalidInputError, "OMNI_INVALID_TIMESTAMP")
    # PyO3's own argument errors stay TypeErrors.
    with pytest.raises(TypeError):
        s.sign("GET")
    with pytest.raises(TypeError):
        s.sign(**GOOD, unknown=1)
    with pytest.raises(TypeError):
        s.sign_many(5)
    assert refusal(s.sign_many, [("GET", "/x")]).status == "OMNI_INVALID_INPUT"
    assert refusal(s.sign_many, ["GET /x"]).status == "OMNI_INVALID_INPUT"
    assert s.sign_many([]) == []
    assert type(refusal(omni.body_hash, None)) is omni.ArgumentTypeError
    assert type(refusal(omni.json_stringify, 5)) is omni.ArgumentTypeError


def test_huge_bodies():
    body = b"x" * (64 << 20)
    s = omni.Signer("k")
    sig = s.sign(**{**GOOD, "body": body})
    assert sig == omni.sign("k", **{**GOOD, "body": bytearray(body)})
    assert sig != s.sign(**{**GOOD, "body": body[:-1]})
    assert omni.body_hash(body) == "%064x" % int.from_bytes(
        __import__("hashlib").sha256(body).digest(), "big")


def test_store_pair_rules():
    assert refusal(omni.sign, "k", **{**GOOD, "store_token": None}).status == \
        "OMNI_STORE_TOKEN_MISSING"
    assert refusal(omni.sign, "k", **{**GOOD, "store_client_id": None}).status == \
        "OMNI_STORE_CLIENT_ID_MISSING"
    # "" is an empty header value, not an absent one.
    assert refusal(omni.sign, "k", **{**GOOD, "store_client_id": "", "store_token": ""}).status \
        == "OMNI_INVALID_HEADER_VALUE"
    plain = {**GOOD, "store_client_id": None, "store_token": None}
    assert omni.sign("k", **plain) != omni.sign("k", **GOOD)


def test_verify_statuses():
    sig = omni.sign("k", "GET", "/api/v1/x", "p", 1000000)
    ok = dict(secret="k", method="GET", url="/api/v1/x?q", partner_client_id="p",
              timestamp="1000000", signature=sig, now_ms=1300000)
    omni.verify(**ok)
    omni.verify(**{**ok, "timestamp": 1000000})
    cases = [({"now_ms": 1300001}, omni.VerificationError, "OMNI_TIMESTAMP_OUTSIDE_WINDOW"),
             ({"now_ms": 1000001, "tolerance_ms": 0}, omni.VerificationError,
              "OMNI_TIMESTAMP_OUTSIDE_WINDOW"),
             ({"signature": sig[7:], "strict": True}, omni.VerificationError,
              "OMNI_MALFORMED_SIGNATURE"),
             ({"signature": "sha256=zz"}, omni.VerificationError, "OMNI_MALFORMED_SIGNATURE"),
             ({"body": b"x"}, omni.VerificationError, "OMNI_SIGNATURE_MISMATCH"),
             ({"secret": "k2"}, omni.VerificationError, "OMNI_SIGNATURE_MISMATCH"),
             ({"timestamp": "01000000"}, omni.InvalidInputError, "OMNI_MALFORMED_TIMESTAMP"),
             ({"timestamp": "1000000\0"}, omni.InvalidInputError, "OMNI_MALFORMED_TIMESTAMP"),
             ({"store_client_id": "s"}, omni.InvalidInputError, "OMNI_STORE_TOKEN_MISSING"),
             ({"secret": ""}, omni.InvalidInputError, "OMNI_EMPTY_SECRET"),
             ({"now_ms": -1}, omni.InvalidInputError, "OMNI_INVALID_INPUT"),
             ({"signature": None}, omni.ArgumentTypeError, "OMNI_NULL_ARGUMENT")]
    for change, cls, status in cases:
        e = refusal(omni.verify, **{**ok, **change})
        assert (type(e), e.status) == (cls, status), change
    omni.verify(**{**ok, "signature": sig[7:]})


def test_json_stringify():
    assert omni.json_stringify('{ "b": 1.0, "a": [1e21, -0] }') == '{"b":1,"a":[1e+21,0]}'
    assert omni.json_stringify(b'{"\\u00e9": "\\/"}') == '{"é":"/"}'
    for text, status in [("{", "OMNI_INVALID_JSON"), ("9007199254740993", "OMNI_INVALID_JSON"),
                         ("[" * 600 + "]" * 600, "OMNI_INVALID_JSON")]:
        e = refusal(omni.json_stringify, text)
        assert (type(e), e.status) == (omni.InvalidJsonError, status)


def test_closed_signer():
    s = omni.Signer("k")
    s.close()
    s.close()
    e = refusal(s.sign, **GOOD)
    assert (type(e), e.status) == (omni.OmniError, "OMNI_NULL_ARGUMENT")


def test_secrets_are_not_shown():
    s = omni.Signer("partner-secret-xyz")
    assert "partner-secret-xyz" not in repr(s) and "REDACTED" in repr(s)
    e = refusal(s.sign, **{**GOOD, "store_token": "stkn_secret\n"})
    assert "stkn_secret" not in str(e)


def test_one_signer_from_many_threads_gives_identical_results():
    requests = [{**GOOD, "timestamp_ms": GOOD["timestamp_ms"] + i, "body": b"x" * i}
                for i in range(50)]
    want = [omni.sign("k", **r) for r in requests]
    big = {**GOOD, "body": b"y" * (1 << 20)}  # signed with the GIL released
    want_big = omni.sign("k", **big)
    signer = omni.Signer("k")
    results, big_results, errors = [], [], []
    start = threading.Barrier(8)

    def run(n):
        try:
            start.wait()
            for _ in range(20):
                results.append([signer.sign(**r) for r in requests])
                if n % 2:
                    big_results.append(signer.sign(**big))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert (len(results), len(big_results)) == (8 * 20, 4 * 20)
    assert all(r == want for r in results)
    assert set(big_results) == {want_big}


def test_close_while_other_threads_sign():
    want = omni.sign("k", **GOOD)
    signer = omni.Signer("k")
    seen = set()

    def run():
        for _ in range(300):
            try:
                seen.add(signer.sign(**GOOD))
            except omni.OmniError as e:
                seen.add(e.status)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    signer.close()
    for t in threads:
        t.join()
    assert seen <= {want, "OMNI_NULL_ARGUMENT"}


def test_version():
    assert omni.__version__ == "0.1.0"
    assert omni.DEFAULT_TOLERANCE_MS == 300_000


def received_headers(case, signature):
    headers = [("x-partner-client-id", case["partner_client_id"]),
               ("x-timestamp", str(case["timestamp_ms"])), ("x-signature", signature)]
    if case["store_client_id"] is not None:
        headers += [("x-store-client-id", case["store_client_id"]),
                    ("x-store-token", case["store_token"])]
    return headers


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_diagnose_accepts_every_case(case):
    v = omni.diagnose(case["secret"], case["method"], case["url"],
                      received_headers(case, case["expect"]["signature"]),
                      bytes.fromhex(case["body_hex"]), now_ms=case["timestamp_ms"], strict=True)
    assert (v["version"], v["accepted"]) == (1, True)


def test_diagnose_names_the_pitfall():
    # A client that kept /api/v1 on the path: what it signed is what our signer signs for a URL
    # holding /api/v1 twice.
    sig = omni.sign("k", "GET", "https://h/api/v1/api/v1/partner/x", "p", 1000)
    v = omni.diagnose("k", "GET", "https://h/api/v1/partner/x",
                      {"x-partner-client-id": "p", "x-timestamp": "1000", "x-signature": sig},
                      now_ms=1000)
    assert (v["accepted"], v["check"]) == (False, "signature_mismatch")
    assert v["combinations"][0]["pitfalls"][0]["name"] == "api-v1-not-stripped"
    # A stale timestamp, and a store token never shown.
    sig = omni.sign("k", "POST", "/api/v1/x", "p", 1000, b"{}", "s", "stkn_secret")
    headers = [("x-partner-client-id", "p"), ("x-timestamp", "1000"), ("x-signature", sig),
               ("x-store-client-id", "s"), ("x-store-token", "stkn_secret")]
    v = omni.diagnose("k", "POST", "/api/v1/x", headers, b"{}", now_ms=1000 + 300_001)
    assert v["check"] == "timestamp_outside_window"
    assert "stkn_secret" not in json.dumps(v)
    # A malformed request is a verdict, not an exception.
    v = omni.diagnose("k", "GET", "/x", [("x-timestamp", "1")], now_ms=1)
    assert (v["accepted"], v["check"]) == (False, "missing_header")


def test_diagnose_refusals():
    good = dict(secret="k", method="GET", url="/x", headers=[("x-timestamp", "1")], now_ms=1)
    for change, cls, status in [
            ({"secret": ""}, omni.InvalidInputError, "OMNI_EMPTY_SECRET"),
            ({"now_ms": -1}, omni.InvalidInputError, "OMNI_INVALID_INPUT"),
            ({"headers": None}, omni.ArgumentTypeError, "OMNI_NULL_ARGUMENT"),
            ({"headers": 5}, omni.ArgumentTypeError, "OMNI_INVALID_INPUT"),
            ({"headers": [("a", "b", "c")]}, omni.ArgumentTypeError, "OMNI_INVALID_INPUT"),
            ({"headers": [("x-timestamp", "\ud800")]}, omni.InvalidUtf8Error, "OMNI_INVALID_UTF8"),
            ({"method": None}, omni.ArgumentTypeError, "OMNI_NULL_ARGUMENT")]:
        e = refusal(omni.diagnose, **{**good, **change})
        assert (type(e), e.status) == (cls, status), change
