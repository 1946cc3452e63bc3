"""Times signing one 200 B-body request N times through the `omni` module (PyO3: a reusable
Signer, one call per signature) and through Python's own hmac building the same base string.
Run by bindings/bench.sh with the module installed in its venv; prints
"python<TAB>way<TAB>ns per signature" lines."""

import hashlib
import hmac
import sys
import time

import omni

SECRET = b"partner-secret-key"
URL = "https://partners-api.tocobagus.net/api/v1/partner/stores/catalog/sync"
PARTNER, STORE, TOKEN = "ptnr_1s4UqMnO64", "str_TGIxyboe7-Rz", "stkn_1G_R3r_5QTvwr_0O"
TS = 1709024577000
PREFIX = b'{"storeId":"str_TGIxyboe7-Rz","note":"'
BODY = PREFIX + b"a" * (200 - len(PREFIX) - 2) + b'"}'


def signed_path(url):
    """`path-rules` for the URLs this benchmark sends."""
    i = url.find("://")
    if i >= 0:
        j = url.find("/", i + 3)
        url = url[j:] if j >= 0 else "/"
    for sep in "?#":
        url = url.split(sep, 1)[0]
    if url == "/api/v1":
        return "/"
    return url[7:] if url.startswith("/api/v1/") else url


class NativeSigner:
    def __init__(self, secret):
        self._mac = hmac.new(secret, digestmod=hashlib.sha256)  # key hashed once

    def sign(self, method, url, ts, body):
        base = (f"{method}\n{signed_path(url)}\nx-partner-client-id:{PARTNER}\n"
                f"x-store-client-id:{STORE}\nx-store-token:{TOKEN}\nx-timestamp:{ts}\n"
                f"{hashlib.sha256(body).hexdigest()}")
        mac = self._mac.copy()
        mac.update(base.encode())
        return "sha256=" + mac.hexdigest()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    signer = omni.Signer(SECRET)
    native = NativeSigner(SECRET)
    want = signer.sign("POST", URL, PARTNER, TS, BODY, STORE, TOKEN)
    assert native.sign("POST", URL, TS, BODY) == want, "native Python signs differently"
    results = {}
    for _ in range(2):  # the first round warms up
        start = time.perf_counter_ns()
        for i in range(n):
            signer.sign("POST", URL, PARTNER, TS + i, BODY, STORE, TOKEN)
        results["omni (PyO3)"] = (time.perf_counter_ns() - start) / n
        start = time.perf_counter_ns()
        for i in range(n):
            native.sign("POST", URL, TS + i, BODY)
        results["native"] = (time.perf_counter_ns() - start) / n
    for way, ns in results.items():
        print(f"python\t{way}\t{ns:.0f}")


if __name__ == "__main__":
    main()
