#!/usr/bin/env python3
"""Converts tests/vectors/signing.json into one tab-separated line per case, for the C
binding tests (C has no JSON reader in its standard library).

Columns: kind ("ok" or "error"), name, then hex of the UTF-8 of secret, method, url,
partner_client_id, store_client_id, store_token ("-" for null), the decimal timestamp_ms,
body_hex, then for "ok" the hex of expect.path, expect.body_hash, expect.base_string,
expect.signature, and for "error" the expect_error kind.
"""
import json
import sys


def h(value):
    return "-" if value is None else value.encode("utf-8").hex()


def main():
    src = sys.argv[1]
    with open(src, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("version") != 1:
        sys.exit(f"{src}: unsupported version {doc.get('version')!r}")
    for kind, cases in (("ok", doc["cases"]), ("error", doc["error_cases"])):
        for c in cases:
            cols = [kind, c["name"], h(c["secret"]), h(c["method"]), h(c["url"]),
                    h(c["partner_client_id"]), h(c["store_client_id"]), h(c["store_token"]),
                    str(int(c["timestamp_ms"])), c["body_hex"] or "-"]
            if kind == "ok":
                e = c["expect"]
                cols += [h(e["path"]), h(e["body_hash"]), h(e["base_string"]), h(e["signature"])]
            else:
                cols.append(c["expect_error"])
            print("\t".join(cols))


if __name__ == "__main__":
    main()
