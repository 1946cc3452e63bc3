#!/usr/bin/env bash
# Tests the artifacts scripts/dist.sh wrote into dist/ as a user installs them: each one in a
# fresh temporary directory, with no path into the source tree (the test programs and the
# vectors are copied out first), no LD_LIBRARY_PATH, and runs tests/vectors/signing.json against
# the installed copy only. One line per artifact; stops at the first broken one.
#
#   bash scripts/dist.sh && bash scripts/check-dist.sh
#
# Needs root for the Debian packages (dpkg -i; a trap removes them even when a step fails).
# Installs what it lacks from Debian packages (composer, golang-go, php-cli, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

# shellcheck source=lib/common.sh
. scripts/lib/common.sh

need_cmd cc gcc
need_cmd pkg-config pkg-config
need_cmd readelf binutils
need_cmd objdump binutils
need_cmd python3 python3
need_cmd sha256sum coreutils
need_cmd go golang-go
need_cmd php php-cli
need_cmd composer composer
need_cmd dpkg dpkg
php -d ffi.enable=1 -r 'exit(extension_loaded("FFI") ? 0 : 1);' \
  || die "PHP has no FFI extension: install a php-cli built with FFI"
php -d opcache.enable_cli=1 -r 'exit(function_exists("opcache_compile_file") ? 0 : 1);' \
  || die "PHP has no OPcache (needed for the preload check): install php-opcache"

dist=$root/dist
[ -f "$dist/SHA256SUMS" ] || die "dist/ has no SHA256SUMS: run scripts/dist.sh first"
version=$(cargo metadata --no-deps --format-version 1 | python3 -c \
  'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "omni-ffi"))')
major=${version%%.*}
arch=$(uname -m)
deb_arch=$(dpkg --print-architecture)

unset LD_LIBRARY_PATH PKG_CONFIG_PATH CGO_LDFLAGS CGO_CFLAGS OMNI_LIB OMNI_PHP_HEADER
work=$(mktemp -d)
debs_installed=0
cleanup() {
  if [ "$debs_installed" = 1 ]; then
    dpkg -r libomni-dev "libomni$major" >/dev/null 2>&1 \
      || printf 'error: could not remove libomni-dev and libomni%s: run dpkg -r libomni-dev libomni%s\n' "$major" "$major" >&2
  fi
  rm -rf "$work"
}
trap cleanup EXIT
passed() { printf 'ok  %s\n' "$*"; }

# The test inputs, copied out of the source tree.
mkdir -p "$work/src"
cp tests/vectors/signing.json bindings/c/test_omni.c "$work/src/"
python3 bindings/vectors_to_tsv.py tests/vectors/signing.json > "$work/src/vectors.tsv"
cd "$work"

step "dist/ $version: checksums, names, glibc floors"
(cd "$dist" && sha256sum --quiet -c SHA256SUMS) || die "dist/SHA256SUMS does not match dist/"
lib_tar=$dist/libomni-$version-$arch-linux-gnu.tar.gz
cli_tar=$dist/omni-$version-$arch-linux-gnu.tar.gz
go_tar=$dist/omni-go-$version.tar.gz
php_tar=$dist/omni-php-$version.tar.gz
deb0=$dist/libomni${major}_${version}_$deb_arch.deb
debdev=$dist/libomni-dev_${version}_$deb_arch.deb
for f in "$lib_tar" "$cli_tar" "$go_tar" "$php_tar" "$deb0" "$debdev"; do
  [ -f "$f" ] || die "dist/ has no $(basename "$f")"
done
passed "SHA256SUMS and every artifact of $version"

# --- C: the tarball ------------------------------------------------------------------------
mkdir -p "$work/opt"
tar -C "$work/opt" -xzf "$lib_tar"
prefix=$work/opt/libomni-$version-$arch-linux-gnu
so=$prefix/lib/libomni.so.$version
[ "$(readlink "$prefix/lib/libomni.so.$major")" = "libomni.so.$version" ] \
  || die "tarball: libomni.so.$major is not a link to libomni.so.$version"
[ "$(readlink -f "$prefix/lib/libomni.so")" = "$(readlink -f "$so")" ] \
  || die "tarball: libomni.so does not lead to libomni.so.$version"
readelf -d "$so" | grep -qF "Library soname: [libomni.so.$major]" || die "tarball: soname is not libomni.so.$major"

lib_floor=$(bash "$root/scripts/glibc-floor.sh" "$so")
mkdir -p "$work/cli"
tar -C "$work/cli" -xzf "$cli_tar"
omni=$work/cli/omni-$version-$arch-linux-gnu/bin/omni
cli_floor=$(bash "$root/scripts/glibc-floor.sh" "$omni")
printf 'glibc  %s  libomni.so (tarball, libomni%s.deb)\nglibc  %s  omni (CLI tarball)\n' \
  "$lib_floor" "$major" "$cli_floor"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
libdir=$(pkg-config --variable=libdir omni)
cc -std=c11 -D_GNU_SOURCE -O1 src/test_omni.c $(pkg-config --cflags --libs omni) \
  -Wl,-rpath,"$libdir" -lpthread -o c_shared
loaded() { # loaded PROGRAM: the file libomni.so.<major> resolves to for PROGRAM
  realpath "$(ldd "$1" | sed -n "s|.*libomni\.so\.$major => \(.*\) (0x.*|\1|p")"
}
[ "$(loaded c_shared)" = "$(realpath "$so")" ] \
  || { ldd c_shared; die "tarball: the C program does not load libomni from the unpacked prefix"; }
./c_shared src/vectors.tsv > c_shared.out || { cat c_shared.out; die "tarball: C vectors failed"; }
passed "libomni tarball: pkg-config + rpath, C vectors ($(tail -1 c_shared.out))"

cc -std=c11 -D_GNU_SOURCE -O1 src/test_omni.c $(pkg-config --cflags omni) \
  "$libdir/libomni.a" $(pkg-config --static --libs-only-l omni | sed 's/-lomni\b//') -o c_static
if readelf -d c_static | grep -q 'libomni'; then die "tarball: the static C program still needs libomni.so"; fi
./c_static src/vectors.tsv > c_static.out || { cat c_static.out; die "tarball: static C vectors failed"; }
passed "libomni tarball: libomni.a linked statically, C vectors ($(tail -1 c_static.out))"

# --- C: the Debian packages ----------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "the Debian package check needs root (dpkg -i): run as root"
if dpkg -s "libomni$major" >/dev/null 2>&1 || dpkg -s libomni-dev >/dev/null 2>&1; then
  die "libomni$major or libomni-dev is installed already: remove it (dpkg -r libomni-dev libomni$major) and rerun"
fi
dpkg-deb -f "$deb0" Depends | grep -qF "libc6 (>= $lib_floor)" \
  || die "libomni$major.deb: Depends ($(dpkg-deb -f "$deb0" Depends)) does not say libc6 (>= $lib_floor)"
debs_installed=1
dpkg -i "$deb0" "$debdev" >/dev/null || die "dpkg -i libomni$major libomni-dev failed"
(
  unset PKG_CONFIG_PATH
  [ "$(pkg-config --libs omni | xargs)" = "-lomni" ] || die "deb: pkg-config --libs omni says '$(pkg-config --libs omni)'"
  cc -std=c11 -D_GNU_SOURCE -O1 src/test_omni.c $(pkg-config --cflags --libs omni) -lpthread -o c_deb
  case $(loaded c_deb) in /usr/lib/*) ;; *) ldd c_deb; die "deb: libomni not loaded from /usr/lib";; esac
  ./c_deb src/vectors.tsv > c_deb.out || { cat c_deb.out; die "deb: C vectors failed"; }
  passed "libomni$major + libomni-dev .deb: pkg-config, C vectors ($(tail -1 c_deb.out))"
)
dpkg -r libomni-dev "libomni$major" >/dev/null || die "dpkg -r libomni-dev libomni$major failed"
debs_installed=0
[ ! -e "/usr/include/omni.h" ] && ! ldconfig -p | grep -q "libomni.so.$major" \
  || die "deb: files left after dpkg -r"
passed "libomni$major + libomni-dev .deb: removed cleanly"

# --- the omni command ----------------------------------------------------------------------
python3 - "$omni" src/signing.json <<'EOF' || die "omni CLI tarball: vectors failed"
import json, os, subprocess, sys, tempfile
omni, vectors = sys.argv[1], sys.argv[2]
cases = json.load(open(vectors))["cases"]
with tempfile.TemporaryDirectory() as tmp:
    for case in cases:
        body, secret = os.path.join(tmp, "body"), os.path.join(tmp, "secret")
        open(body, "wb").write(bytes.fromhex(case["body_hex"]))
        open(secret, "w").write(case["secret"])
        args = [omni, "sign", "--method", case["method"], "--url", case["url"],
                "--client-id", case["partner_client_id"], "--timestamp", str(case["timestamp_ms"]),
                "--data-file", body, "--secret-file", secret, "--output", "json"]
        env = {"PATH": "/usr/bin:/bin"}
        if case.get("store_client_id") is not None:
            args += ["--store-client-id", case["store_client_id"]]
        if case.get("store_token") is not None:
            env["OMNI_STORE_TOKEN"] = case["store_token"]
        run = subprocess.run(args, capture_output=True, env=env, timeout=30)
        if run.returncode != 0:
            sys.exit(f"{case['name']}: omni sign exited {run.returncode}: {run.stderr.decode()}")
        got = json.loads(run.stdout)["signature"]
        if got != case["expect"]["signature"]:
            sys.exit(f"{case['name']}: omni sign gave {got}, expected {case['expect']['signature']}")
print(f"{len(cases)} cases", file=sys.stderr)
EOF
passed "omni CLI tarball: omni sign over every vector"

# --- Go ------------------------------------------------------------------------------------
mkdir -p "$work/gomod" "$work/app"
tar -C "$work/gomod" -xzf "$go_tar"
gomod=$work/gomod/omni-go-$version
cat > "$work/app/go.mod" <<EOF
module example.com/omniapp

go 1.19

require omni/bindings/go v0.0.0

replace omni/bindings/go => $gomod
EOF
cat > "$work/app/main.go" <<'EOF'
package main

import (
	"fmt"

	omni "omni/bindings/go"
)

func main() { fmt.Println(omni.Version()) }
EOF
(
  cd "$work/app"
  export GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod CGO_ENABLED=1
  export CGO_LDFLAGS="-Wl,-rpath,$libdir"
  OMNI_VECTORS=$work/src/signing.json go test -count=1 omni/bindings/go > go.out \
    || { cat go.out; die "Go: vectors failed against the tarball"; }
  [ "$(go run .)" = "$version" ] || die "Go: omni.Version() is not $version"
  passed "Go module (replace) + tarball through pkg-config: go test, vectors"
  unset CGO_LDFLAGS
  go test -c -tags omni_static -o go_static.test omni/bindings/go
  if readelf -d go_static.test | grep -q libomni; then die "Go: -tags omni_static still needs libomni.so"; fi
  OMNI_VECTORS=$work/src/signing.json ./go_static.test > go_static.out \
    || { cat go_static.out; die "Go: static vectors failed"; }
  passed "Go module, -tags omni_static (libomni.a linked in): vectors"
)

# --- PHP -----------------------------------------------------------------------------------
mkdir -p "$work/phppkg" "$work/phpapp"
tar -C "$work/phppkg" -xzf "$php_tar"
cat > "$work/phpapp/composer.json" <<EOF
{
    "require": { "omni/omni": "$version" },
    "repositories": [
        { "type": "path", "url": "$work/phppkg/omni-php-$version", "options": { "symlink": false } },
        { "packagist.org": false }
    ]
}
EOF
cat > "$work/phpapp/main.php" <<'EOF'
<?php
require __DIR__ . '/vendor/autoload.php';
require __DIR__ . '/vendor/omni/omni/tests/run.php';
EOF
(
  cd "$work/phpapp"
  export COMPOSER_HOME=$work/composer-home COMPOSER_NO_INTERACTION=1 COMPOSER_ALLOW_SUPERUSER=1
  composer install --no-progress --quiet || die "PHP: composer install from the path repository failed"
  [ -f vendor/omni/omni/src/Omni.php ] && [ ! -L vendor/omni/omni ] || die "PHP: composer did not copy the package"
  OMNI_LIB=$prefix/lib/libomni.so.$major php -d ffi.enable=1 main.php "$work/src/signing.json" > php.out \
    || { cat php.out; die "PHP: vectors failed with ffi.enable=1"; }
  passed "PHP Composer package, ffi.enable=1 + OMNI_LIB: vectors ($(tail -1 php.out))"
  sed "s|^#define FFI_LIB .*|#define FFI_LIB \"$prefix/lib/libomni.so.$major\"|" \
    vendor/omni/omni/include/omni_ffi.h > omni_ffi.h
  OMNI_FFI_SCOPE=omni php -d ffi.enable=preload -d ffi.preload="$PWD/omni_ffi.h" \
    -d opcache.enable_cli=1 -d opcache.preload="$PWD/vendor/omni/omni/preload.php" \
    -d opcache.preload_user=root main.php "$work/src/signing.json" > php_preload.out \
    || { cat php_preload.out; die "PHP: vectors failed through the preload script"; }
  passed "PHP Composer package, ffi.enable=preload + preload.php, FFI::scope: vectors ($(tail -1 php_preload.out))"
)

step "every artifact in dist/ works as installed"
