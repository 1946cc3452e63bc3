"""Times signing one 200 B-body request N times through the `omni` module (PyO3: a reusable
Signer, one call per signature) and through Python's own hmac building the same base string.
The ways alternate in ROUNDS rounds of N/ROUNDS signatures after a warm-up
round; each round is timed in CPU time of the process (time.process_time_ns: on a shared machine,
time spent descheduled is not the binding's), and each way's median round is printed. Run by bindings/bench.sh with the module installed in its venv; prints
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


ROUNDS = 9


def main():
    n = -(-(int(sys.argv[1]) if len(sys.argv) > 1 else 100000) // ROUNDS)
    signer = omni.Signer(SECRET)
    native = NativeSigner(SECRET)
    want = signer.sign("POST", URL, PARTNER, TS, BODY, STORE, TOKEN)
    assert native.sign("POST", URL, TS, BODY) == want, "native Python signs differently"

    def omni_way():
        for i in range(n):
            signer.sign("POST", URL, PARTNER, TS + i, BODY, STORE, TOKEN)

    def native_way():
        for i in range(n):
            native.sign("POST", URL, TS + i, BODY)

    ways = {"omni (PyO3)": omni_way, "native": native_way}
    rounds = {way: [] for way in ways}
    for round_ in range(ROUNDS + 1):  # round 0 warms up
        for way, run in ways.items():
            start = time.process_time_ns()
            run()
            if round_:
                rounds[way].append((time.process_time_ns() - start) / n)
    for way, ns in rounds.items():
        print(f"python\t{way}\t{sorted(ns)[len(ns) // 2]:.0f}")


if __name__ == "__main__":
    main()
