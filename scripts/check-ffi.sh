#!/usr/bin/env bash
# libomni: builds it in release, checks the ABI (soname, header drift, header compiles as C11
# and C++, exported symbols) and runs the C, Go and PHP binding tests against
# tests/vectors/signing.json (Python and Node are native extensions: scripts/check-native.sh;
# Java is JNI: scripts/check-java.sh). Installs missing toolchains from Debian packages; fails with a
# clear message when one is missing and cannot be installed. Never skips a check silently.
#
#   bash scripts/check-ffi.sh
#
# Stages the library as a small install tree under <target>/libomni/:
#   lib/libomni.so.<version>, lib/libomni.so.0 and lib/libomni.so (symlinks), lib/libomni.a,
#   lib/pkgconfig/omni.pc, include/omni.h, include/omni_php.h
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh
repo_paths

need_cargo
need_cmd cc gcc
need_cmd c++ g++
need_cmd readelf binutils
need_cmd nm binutils
need_cmd pkg-config pkg-config
need_cmd valgrind valgrind
need_cmd python3 python3
need_cmd go golang-go
need_cmd php php-cli
php -d ffi.enable=1 -r 'exit(extension_loaded("FFI") && class_exists("FFI") ? 0 : 1);' \
  || die "PHP has no FFI extension (php -m lists no FFI): install a php-cli built with FFI"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- build and stage --------------------------------------------------------------------
step "cargo build --release -p omni-ffi (libomni.so, libomni.a)"
cargo build --release -p omni-ffi
version=$(cargo metadata --no-deps --format-version 1 \
  | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "omni-ffi"))')
soname=libomni.so.${version%%.*}
stage=$target/libomni
rm -rf "$stage"
mkdir -p "$stage/lib/pkgconfig" "$stage/include"
cp "$target/release/libomni.so" "$stage/lib/libomni.so.$version"
ln -s "libomni.so.$version" "$stage/lib/$soname"
ln -s "$soname" "$stage/lib/libomni.so"
cp "$target/release/libomni.a" "$stage/lib/"
cp include/omni.h include/omni_php.h "$stage/include/"
sed -e "s|@PREFIX@|$stage|" -e "s|@VERSION@|$version|" crates/omni-ffi/omni.pc.in \
  > "$stage/lib/pkgconfig/omni.pc"
export PKG_CONFIG_PATH=$stage/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export LD_LIBRARY_PATH=$stage/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
lib=$stage/lib/$soname

step "soname is $soname"
readelf -d "$lib" | grep -F "Library soname: [$soname]" \
  || die "libomni.so has no soname $soname"

# --- header and ABI ---------------------------------------------------------------------
step "header drift: include/omni.h and include/omni_php.h against a fresh cbindgen run"
cargo run -q -p omni-ffi --example gen_header -- "$tmp"
for h in omni.h omni_php.h; do
  diff -u "include/$h" "$tmp/$h" \
    || die "include/$h differs from the generated one: run 'cargo run -p omni-ffi --example gen_header -- include' and commit"
done
grep -qxF "#define OMNI_VERSION \"$version\"" include/omni.h \
  || die "OMNI_VERSION in include/omni.h is not $version"

step "omni.h compiles as C11 (-Wall -Wextra -Wpedantic -Werror) and as C++, and links"
printf '#include <omni.h>\nint main(void) { return omni_version()[0] == 0; }\n' > "$tmp/h.c"
cc -std=c11 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags omni) "$tmp/h.c" \
  $(pkg-config --libs omni) -o "$tmp/h_c"
"$tmp/h_c"
cp "$tmp/h.c" "$tmp/h.cpp"
c++ -std=c++17 -Wall -Wextra -Wpedantic -Werror $(pkg-config --cflags omni) "$tmp/h.cpp" \
  $(pkg-config --libs omni) -o "$tmp/h_cpp"
"$tmp/h_cpp"

step "exported symbols of libomni.so match include/omni.symbols"
nm -D --defined-only "$lib" | awk '$2 ~ /^[TtDdBbRrVvWwiu]$/ { print $3 }' | sort > "$tmp/symbols"
diff -u include/omni.symbols "$tmp/symbols" \
  || die "the exported symbols changed: update include/omni.symbols only for an intended ABI change"

# --- bindings ---------------------------------------------------------------------------
python3 bindings/vectors_to_tsv.py tests/vectors/signing.json > "$tmp/vectors.tsv"

step "C: test program under valgrind (shared), and linked statically"
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 $(pkg-config --cflags omni) \
  bindings/c/test_omni.c $(pkg-config --libs omni) -lpthread -o "$tmp/test_omni"
valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=all \
  "$tmp/test_omni" "$tmp/vectors.tsv"
cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O1 $(pkg-config --cflags omni) \
  bindings/c/test_omni.c "$stage/lib/libomni.a" $(pkg-config --static --libs-only-l omni \
  | sed 's/-lomni//') -o "$tmp/test_omni_static"
"$tmp/test_omni_static" "$tmp/vectors.tsv" | tail -1

step "Go: cgo binding (go test -race)"
(cd bindings/go && GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=1 \
  go test -race -count=1 ./...)

step "PHP: FFI binding"
OMNI_LIB=$lib OMNI_PHP_HEADER=$stage/include/omni_php.h \
  php -d ffi.enable=1 bindings/php/tests/run.php tests/vectors/signing.json

step "libomni checks passed"
