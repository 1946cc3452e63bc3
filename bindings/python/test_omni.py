"""Tests of the ctypes binding against tests/vectors/signing.json and bad inputs.

    OMNI_LIB=target/libomni/lib/libomni.so.0 python3 -m unittest discover -s bindings/python
"""

import json
import os
import threading
import unittest

import omni

VECTORS = os.environ.get("OMNI_VECTORS") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "vectors", "signing.json")



def kind_status_name(case):
    """The name of the status for an omni_sign::Error::kind(): OMNI_ and the kind in upper
    case; this module refuses a string holding a NUL itself, as INVALID_INPUT."""
    texts = (case["method"], case["url"], case["partner_client_id"], case["store_client_id"],
             case["store_token"])
    if any(t is not None and "\0" in t for t in texts):
        return "OMNI_INVALID_INPUT"
    return "OMNI_" + case["expect_error"].upper()


def load():
    with open(VECTORS, encoding="utf-8") as f:
        doc = json.load(f)
    assert doc["version"] == 1
    return doc


def args(case):
    return dict(method=case["method"], url=case["url"],
                partner_client_id=case["partner_client_id"], timestamp_ms=case["timestamp_ms"],
                body=bytes.fromhex(case["body_hex"]), store_client_id=case["store_client_id"],
                store_token=case["store_token"])


class Vectors(unittest.TestCase):
    doc = load()

    def test_there_are_vectors(self):
        self.assertGreater(len(self.doc["cases"]), 0)
        self.assertGreater(len(self.doc["error_cases"]), 0)

    def test_every_case(self):
        for case in self.doc["cases"]:
            with self.subTest(case["name"]):
                a = args(case)
                e = case["expect"]
                self.assertEqual(omni.sign(case["secret"], **a), e["signature"])
                self.assertEqual(omni.base_string(**a), e["base_string"])
                self.assertEqual(omni.body_hash(a["body"]), e["body_hash"])
                with omni.Signer(case["secret"]) as signer:
                    self.assertEqual(signer.sign(**a), e["signature"])
                    self.assertEqual(signer.sign(**a, bare_hex=True), e["signature"][7:])
                    row = (a["method"], a["url"], a["partner_client_id"], a["timestamp_ms"],
                           a["body"], a["store_client_id"], a["store_token"])
                    self.assertEqual(signer.sign_many([row, row]), [e["signature"]] * 2)
                    self.assertEqual(signer.sign_many([row], bare_hex=True),
                                     [e["signature"][7:]])
                omni.verify(case["secret"], a["method"], a["url"], a["partner_client_id"],
                            case["timestamp_ms"], e["signature"], a["body"],
                            a["store_client_id"], a["store_token"], now_ms=case["timestamp_ms"],
                            strict=True)

    def test_every_error_case(self):
        for case in self.doc["error_cases"]:
            with self.subTest(case["name"]):
                with self.assertRaises(omni.OmniError) as ctx:
                    omni.sign(case["secret"], **args(case))
                self.assertEqual(omni._lib.omni_status_name(ctx.exception.status).decode(),
                                 kind_status_name(case))


class BadInputs(unittest.TestCase):
    def test_version_is_checked_on_load(self):
        self.assertTrue(omni._version_accepted(omni.version(), *omni.HEADER_VERSION))
        for found, want in (("0.1.5", True), ("0.2.0", True), ("1.0.0", False),
                            ("0.0.9", False), ("x", False)):
            self.assertEqual(omni._version_accepted(found, 0, 1), want, found)

    def status_of(self, fn, *a, **kw):
        with self.assertRaises(omni.OmniError) as ctx:
            fn(*a, **kw)
        return ctx.exception.status

    def test_secrets(self):
        self.assertEqual(self.status_of(omni.sign, b"", "GET", "/", "p", 1), 10)  # EMPTY_SECRET
        self.assertEqual(self.status_of(omni.Signer, b""), 10)
        # NULL secret: only reachable through the raw function.
        n = omni.ctypes.c_size_t()
        st = omni._lib.omni_sign(None, 0, b"GET", b"/", b"p", None, None, 1, None, 0, None, 0,
                                 omni.ctypes.byref(n))
        self.assertEqual(st, omni.NULL_ARGUMENT)

    def test_store_pair_and_header_values(self):
        self.assertEqual(self.status_of(omni.sign, "k", "GET", "/", "p", 1, store_client_id="s"),
                         15)  # STORE_TOKEN_MISSING
        self.assertEqual(self.status_of(omni.sign, "k", "GET", "/", "p\nx-timestamp:1", 1),
                         13)  # INVALID_HEADER_VALUE
        self.assertEqual(self.status_of(omni.sign, "k", "GET", "/", "p\0", 1), omni.INVALID_INPUT)
        self.assertEqual(self.status_of(omni.sign, "k", "GET", "/", "p", -1),
                         20)  # INVALID_TIMESTAMP
        # "" and None both mean "not store-scoped".
        self.assertEqual(omni.sign("k", "GET", "/", "p", 1, store_client_id="", store_token=""),
                         omni.sign("k", "GET", "/", "p", 1))

    def test_small_buffer_reports_the_size_needed(self):
        n = omni.ctypes.c_size_t()
        buf = omni.ctypes.create_string_buffer(71)
        st = omni._lib.omni_sign(b"k", 1, b"GET", b"/", b"p", None, None, 1, None, 0, buf, 71,
                                 omni.ctypes.byref(n))
        self.assertEqual((st, n.value, buf.raw[0]), (omni.BUFFER_TOO_SMALL, 71, 0))
        st = omni._lib.omni_sign(b"k", 1, b"GET", b"/", b"p", None, None, 1, None, 0, None, 0,
                                 omni.ctypes.byref(n))
        self.assertEqual((st, n.value), (omni.BUFFER_TOO_SMALL, 71))

    def test_verify_statuses(self):
        sig = omni.sign("k", "GET", "/api/v1/x", "p", 1000000)
        ok = dict(secret="k", method="GET", url="/api/v1/x?q", partner_client_id="p",
                  timestamp="1000000", signature=sig, now_ms=1300000)
        omni.verify(**ok)
        self.assertEqual(self.status_of(omni.verify, **{**ok, "now_ms": 1300001}),
                         omni.TIMESTAMP_OUTSIDE_WINDOW)
        self.assertEqual(self.status_of(omni.verify, **{**ok, "signature": sig[7:]}, strict=True),
                         omni.MALFORMED_SIGNATURE)
        omni.verify(**{**ok, "signature": sig[7:]})
        self.assertEqual(self.status_of(omni.verify, **{**ok, "body": b"x"}),
                         omni.SIGNATURE_MISMATCH)

    def test_sign_many_refuses_bad_requests(self):
        with omni.Signer("k") as s:
            good = ("GET", "/", "p", 1)
            self.assertEqual(s.sign_many([good, good]), [omni.sign("k", *good)] * 2)
            self.assertEqual(self.status_of(s.sign_many, [good, ("GET", "/", "p\0", 1)]),
                             omni.INVALID_INPUT)
            self.assertEqual(self.status_of(s.sign_many, [good, ("GET", "/", "p", 1, b"", "s")]),
                             15)  # STORE_TOKEN_MISSING
            self.assertEqual(self.status_of(s.sign_many, [("get", "/", "p", 1)]),
                             11)  # INVALID_METHOD
            self.assertEqual(s.sign_many([]), [])

    def test_closed_signer(self):
        s = omni.Signer("k")
        s.close()
        s.close()
        self.assertEqual(self.status_of(s.sign, "GET", "/", "p", 1), omni.NULL_ARGUMENT)

    def test_threads_share_a_signer(self):
        want = omni.sign("k", "POST", "/api/v1/x", "p", 7, b"{}")
        signer = omni.Signer("k")
        bad = []

        def run():
            for _ in range(200):
                if signer.sign("POST", "/api/v1/x", "p", 7, b"{}") != want:
                    bad.append(1)

        threads = [threading.Thread(target=run) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(bad, [])
        signer.close()

    def test_close_while_other_threads_sign(self):
        want = omni.sign("k", "GET", "/", "p", 1)
        signer = omni.Signer("k")
        seen = []

        def run():
            for _ in range(300):
                try:
                    seen.append(signer.sign("GET", "/", "p", 1))
                except omni.OmniError as e:
                    seen.append(e.status)

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        signer.close()
        for t in threads:
            t.join()
        self.assertEqual(set(seen) - {want, omni.NULL_ARGUMENT}, set())

    def test_json_stringify(self):
        self.assertEqual(omni.json_stringify('{ "b": 1.0, "a": [1e21, -0] }'),
                         '{"b":1,"a":[1e+21,0]}')
        self.assertEqual(self.status_of(omni.json_stringify, "{"), omni.INVALID_JSON)
        self.assertEqual(self.status_of(omni.json_stringify, "9007199254740993"),
                         omni.INVALID_JSON)


if __name__ == "__main__":
    unittest.main()
