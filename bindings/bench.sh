#!/usr/bin/env bash
# Speed of libomni from each language, side by side with that language's own HMAC (a
# benchmark, not a test): one 200 B-body store-scoped POST signed N times per way, in one run.
#
#   bash bindings/bench.sh [N]        (default N = 100000)
#
# Ways: "libomni" is a reusable signer, one FFI call per signature; "libomni ... xK" is the
# batch entry point omni_signer_sign_many, K requests per call; "jni" is Java's Signer over
# libomni_jni (omni-sign through JNI), "omni (PyO3)" and "omni (napi-rs)" are the Python
# module's and the Node package's reusable Signer, each one call per signature (no libomni:
# native extensions over omni-sign); "native" builds the same base string with the language's
# own library (Go crypto/hmac, javax.crypto.Mac, PHP hash_hmac, Python hmac, Node
# crypto.createHmac), checked to produce the same signature first. The C row is libomni itself
# with no binding in between: the floor every binding pays, the rest is the cost of its FFI.
# Needs the toolchains scripts/check-ffi.sh and scripts/check-java.sh install; builds the Python
# module and the Node package as scripts/check-native.sh does (maturin from PyPI into a venv
# under the target, @napi-rs/cli from npm).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
# shellcheck source=../scripts/lib/common.sh
. scripts/lib/common.sh
repo_paths
for cmd in cc go java javac php python3 node; do
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd missing: run scripts/check-ffi.sh first (it installs the toolchains)"
done
# shellcheck source=../scripts/lib/native.sh
. scripts/lib/native.sh
python_venv >&2
zig_toolchain >&2
python_module >&2
node_cli >&2
node_module >&2

cargo build -q --release -p omni-ffi
CARGO_TARGET_DIR=$target cargo build -q --release --manifest-path bindings/java/native/Cargo.toml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The library is staged at a fixed path, not in $tmp: Go's build cache keeps the cgo link
# flags (pkg-config's -L) of the first build, so a path that changes per run breaks the next.
stage=$target/libomni-bench
rm -rf "$stage"
mkdir -p "$stage/lib/pkgconfig"
cp "$target/release/libomni.so" "$stage/lib/libomni.so.0"
ln -s libomni.so.0 "$stage/lib/libomni.so"
sed -e "s|@PREFIX@|$stage|" -e "s|@VERSION@|0|" -e "s|^includedir=.*|includedir=$root/include|" \
  crates/omni-ffi/omni.pc.in > "$stage/lib/pkgconfig/omni.pc"
export PKG_CONFIG_PATH=$stage/lib/pkgconfig LD_LIBRARY_PATH=$stage/lib OMNI_LIB=$stage/lib/libomni.so.0

{
  cc -O2 -std=c11 -Iinclude bindings/c/bench.c -L"$stage/lib" -lomni -o "$tmp/cbench"
  "$tmp/cbench" "$n"
  (cd bindings/go && GOTOOLCHAIN=local GOPROXY=off go build -o "$tmp/gobench" ./cmd/omnibench)
  "$tmp/gobench" "$n"
  javac -encoding UTF-8 -d "$tmp/java" bindings/java/src/main/java/omni/*.java bindings/java/bench/omni/*.java
  java -cp "$tmp/java" -Domni.library.path="$target/release" omni.OmniBench "$n"
  OMNI_PHP_HEADER=$root/include/omni_php.h php -d ffi.enable=1 bindings/php/bench.php "$n"
  (cd bindings/python && "$py" bench.py "$n")
  (cd bindings/node && node bench.js "$n")
} > "$tmp/results.tsv"

python3 - "$tmp/results.tsv" "$n" <<'PY'
import sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
native = {lang: float(ns) for lang, way, ns in rows if way == "native"}
print(f"N = {sys.argv[2]} signatures per way; 200 B body, store-scoped POST\n")
print("| language | way | ns / signature | libomni / native |")
print("| --- | --- | ---: | ---: |")
for lang, way, ns in rows:
    ratio = f"{float(ns) / native[lang]:.2f}" if lang in native and way != "native" else ""
    print(f"| {lang} | {way} | {float(ns):.0f} | {ratio} |")
PY
