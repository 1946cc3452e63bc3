#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs into fuzz/seeds/<target>/ from tests/vectors/signing.json.

The fuzzer starts from these (cargo fuzz run TARGET fuzz/corpus/TARGET fuzz/seeds/TARGET);
the minimised corpus it leaves in fuzz/corpus/ is what is committed and replayed by CI.
Inputs follow crates/omni-fuzz: fields separated by the byte 0xFF.
"""
import hashlib, json, os, struct, sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
vectors = json.load(open(os.path.join(root, "tests/vectors/signing.json")))
out = os.path.join(root, "fuzz/seeds")
SEP = b"\xff"


def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def b(s):
    return (s or "").encode("utf-8", "surrogatepass")


for case in vectors["cases"] + vectors["error_cases"]:
    url, body = b(case.get("url")), bytes.fromhex(case.get("body_hex", "") or "")
    put("canonical_path", url)
    ts = case.get("timestamp_ms")
    if isinstance(ts, int):
        put("header_values", str(ts).encode())
    sig = case.get("expect", {}).get("signature")
    if sig:
        put("header_values", sig.encode())
        put("header_values", sig[len("sha256="):].upper().encode())
    if body:
        put("json_restringify", body)
    headers = [("x-partner-client-id", case.get("partner_client_id")),
               ("X-Store-Client-Id", case.get("store_client_id")),
               ("x-store-token", case.get("store_token")),
               ("x-timestamp", str(ts) if ts is not None else None),
               ("x-signature", sig)]
    block = b"\n".join(b(n) + b":" + b(v) for n, v in headers if v is not None)
    put("verify_request", SEP.join([b(case.get("method")), url, block, b(str(ts)), body]))
    stamp = struct.pack("<q", ts) if isinstance(ts, int) and -2**63 <= ts < 2**63 else b""
    put("libomni_calls", SEP.join([bytes([0, 80]), b(case.get("secret")), b(case.get("method")),
                                   url, b(case.get("partner_client_id")),
                                   b(case.get("store_client_id")), b(case.get("store_token")),
                                   stamp, body]))
for text in ['{"b":1,"a":[1e21,-0,0.1,"\\u2028"],"0":null}', '[9007199254740993]', '"\\ud800"',
             '{"a":1,"a":2}', '1e400', '[[[[]]]]', '  {"x" : "y"}  ']:
    put("json_restringify", text.encode())
print("seeds written to", out, file=sys.stderr)
