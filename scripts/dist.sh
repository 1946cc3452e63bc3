#!/usr/bin/env bash
# Release artifacts into dist/ (git-ignored), each named with the workspace version and target;
# scripts/check-dist.sh installs each one somewhere clean and tests it there.
#
#   bash scripts/dist.sh
#
#   libomni-<v>-<arch>-linux-gnu.tar.gz   lib/libomni.so.<v>, libomni.so.<major>, libomni.so,
#                                         libomni.a, lib/pkgconfig/omni.pc, include/omni.h
#   libomni0_<v>_<deb-arch>.deb           the shared library (Debian, built with dpkg-deb)
#   libomni-dev_<v>_<deb-arch>.deb        libomni.so, libomni.a, omni.h, omni.pc
#   omni-<v>-<arch>-linux-gnu.tar.gz      bin/omni, README.md, licences, CHANGELOG.md
#   omni-go-<v>.tar.gz                    the Go module (bindings/go), for a `replace`
#   omni-php-<v>.tar.gz                   the Composer package (bindings/php + headers)
#   omni-<v>.jar                          the Java package, libomni_jni.so for linux-<arch> inside
#   omni-<v>-cp39-abi3-manylinux2014_<arch>.manylinux_2_17_<arch>.whl
#                                         the Python wheel (maturin, abi3: CPython 3.9 and newer)
#   omni-<v>.tgz                          the Node package (npm pack), omni.node inside
#   SHA256SUMS
#
# Every Linux binary is linked by zig (ziglang from PyPI, driven by cargo-zigbuild from
# crates.io) against glibc 2.17's symbols (scripts/lib/native.sh): libomni through cargo-c with
# cargo-zigbuild's `zig cc` as linker, the omni command with cargo zigbuild, the wheel with
# maturin --zig, the Node addon with napi build -x, the JNI library with cargo zigbuild. The
# wheel, the addon and the JNI library are the builds scripts/check-native.sh and
# scripts/check-java.sh tested (run after them, their cargo builds find nothing to do). libomni
# is laid out by cargo-c (crates/omni-ffi [package.metadata.capi]); its one release build feeds
# the tarball and both Debian packages. scripts/check-dist.sh checks each binary's glibc floor.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh
repo_paths
# shellcheck source=lib/native.sh
. scripts/lib/native.sh

need_cargo
need_cmd cc gcc
need_cmd pkg-config pkg-config
need_cmd readelf binutils
need_cmd objdump binutils
need_cmd dpkg-deb dpkg
need_cmd python3 python3
need_cmd sha256sum coreutils
need_cmd mvn maven
need_cmd java default-jdk-headless
need_cmd unzip unzip

# The newest cargo-c (0.10.26) needs a newer Rust than this workspace's toolchain; 0.10.24 is
# the last one that builds with Rust 1.95. --locked: its own Cargo.lock, as released.
# Installed into cargo's own bin directory, so that later runs on the same machine (a fresh
# clone included) reuse it: building it takes minutes. --debug: cargo-c only drives cargo (the
# compiling is rustc's), so an unoptimised build of it lays out libomni as fast, and builds in a
# fraction of the time an optimised one takes (BENCHMARKS.md, "scripts/test.sh").
cargo_c_version=0.10.24
if ! cargo cinstall --version 2>/dev/null | grep -qF "cargo-c $cargo_c_version"; then
  step "installing cargo-c $cargo_c_version from crates.io (cargo install --locked --debug)"
  cargo install cargo-c --version "=$cargo_c_version" --locked --debug \
    || die "could not install cargo-c $cargo_c_version"
  cargo cinstall --version 2>/dev/null | grep -qF "cargo-c $cargo_c_version" \
    || die "cargo cinstall is not cargo-c $cargo_c_version after installing it (PATH holds another?)"
fi

step "zig: ziglang (PyPI) in $target/pyvenv, cargo-zigbuild (crates.io)"
python_venv
zig_toolchain

version=$(cargo metadata --no-deps --format-version 1 | python3 -c \
  'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "omni-ffi"))')
major=${version%%.*}
arch=$(uname -m)
deb_arch=$(dpkg --print-architecture)
multiarch=$(cc -print-multiarch)
[ -n "$multiarch" ] || die "cc -print-multiarch printed nothing"

# One version for every artifact: each binding's own manifest must carry the workspace's.
python3 - "$version" <<'PY' || die "a binding's version differs from the workspace's $version: set it there too"
import json, re, sys, xml.etree.ElementTree as ET
version, bad = sys.argv[1], []
def check(where, found):
    if found != version:
        bad.append(f"{where}: {found}")
for manifest in ["bindings/java/native/Cargo.toml", "bindings/python/Cargo.toml", "bindings/node/Cargo.toml"]:
    check(manifest, re.search(r'^version = "([^"]+)"', open(manifest).read(), re.M).group(1))
pom = ET.parse("bindings/java/pom.xml").getroot()
check("bindings/java/pom.xml", pom.find("{http://maven.apache.org/POM/4.0.0}version").text)
java = open("bindings/java/src/main/java/omni/NativeLibrary.java").read()
check("NativeLibrary.EXPECTED_VERSION", re.search(r'EXPECTED_VERSION = "([^"]+)"', java).group(1))
check("bindings/node/package.json", json.load(open("bindings/node/package.json"))["version"])
for line in bad:
    print(f"error: {line}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

out=$root/dist
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- libomni: cargo-c build, tarball ------------------------------------------------------
# cargo-c builds in-process (there is no `cargo zigbuild cinstall`), so zig comes in as the
# target's linker and C compiler: cargo-zigbuild's own `zig cc` wrapper (it adapts rustc's and
# cc's arguments to zig), for glibc $glibc_floor. cargo-c is built on a cargo of its own, and
# the target is the host's, so its build scripts and proc-macros are linked by zig too: it gets
# a target directory of its own (a shared one would be rebuilt by each side in turn). The
# wrapper keeps one path, so a rerun rebuilds nothing.
cargo_c_target=$target/zig-cargo-c
mkdir -p "$cargo_c_target"
zigcc=$cargo_c_target/zig-cc-$arch-linux-gnu.$glibc_floor
printf '#!/bin/sh\nexec cargo-zigbuild zig cc -- -g -fno-sanitize=all -target %s "$@"\n' \
  "$arch-linux-gnu.$glibc_floor" > "$zigcc"
chmod +x "$zigcc"
zig_env=("CARGO_TARGET_DIR=$cargo_c_target"
  "CARGO_TARGET_$(printf '%s' "$zig_target" | tr 'a-z-' 'A-Z_')_LINKER=$zigcc"
  "CC_$(printf '%s' "$zig_target" | tr '-' '_')=$zigcc")
step "libomni $version: cargo cinstall --release -p omni-ffi (cargo-c lays out lib/ and include/; zig links it for glibc $glibc_floor)"
env "${zig_env[@]}" cargo cinstall --release --locked -p omni-ffi --target "$zig_target" \
  --prefix /usr --libdir lib --destdir "$tmp/cinstall"
c=$tmp/cinstall/usr
for f in "lib/libomni.so.$version" "lib/libomni.so.$major" lib/libomni.so lib/libomni.a \
  include/omni.h lib/pkgconfig/omni.pc; do
  [ -e "$c/$f" ] || die "cargo-c installed no $f"
done
readelf -d "$c/lib/libomni.so.$version" | grep -qF "Library soname: [libomni.so.$major]" \
  || die "libomni.so.$version has no soname libomni.so.$major"
cmp -s include/omni.h "$c/include/omni.h" || die "cargo-c installed an omni.h other than include/omni.h"

lib_name=libomni-$version-$arch-linux-gnu
l=$tmp/$lib_name
mkdir -p "$l"
cp -a "$c/lib" "$c/include" "$l/"
# An unpacked tarball works wherever it lands: the prefix is found from omni.pc's own place.
sed -i 's|^prefix=.*|prefix=${pcfiledir}/../..|' "$l/lib/pkgconfig/omni.pc"
grep -qxF 'prefix=${pcfiledir}/../..' "$l/lib/pkgconfig/omni.pc" || die "omni.pc: no prefix line"
if grep -E '^(exec_prefix|libdir|includedir)=/' "$l/lib/pkgconfig/omni.pc"; then
  die "omni.pc holds an absolute directory"
fi
cp LICENSE-MIT LICENSE-APACHE CHANGELOG.md "$l/"
cp bindings/c/README.md "$l/README.md"
tar -C "$tmp" --owner=0 --group=0 -czf "$out/$lib_name.tar.gz" "$lib_name"

# --- libomni: Debian packages --------------------------------------------------------------
glibc=$(bash scripts/glibc-floor.sh "$c/lib/libomni.so.$version")
# Each library libomni.so links to, as the Debian package that ships it.
depends=""
for needed in $(readelf -d "$c/lib/libomni.so.$version" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  case $needed in
    libc.so.6 | ld-linux-*.so.* | libm.so.6 | libdl.so.2 | libpthread.so.0 | librt.so.1 | libutil.so.1)
      dep="libc6 (>= $glibc)" ;;
    libgcc_s.so.1) dep="libgcc-s1" ;;
    *) die "libomni.so needs $needed: map it to its Debian package in scripts/dist.sh" ;;
  esac
  case ", $depends, " in *", $dep, "*) ;; *) depends=${depends:+$depends, }$dep ;; esac
done
step "Debian packages libomni0 and libomni-dev $version (Depends: $depends)"
maintainer="omni maintainers <omni@example.invalid>"
deb_lib=usr/lib/$multiarch
copyright() { # copyright DIR PACKAGE
  mkdir -p "$1/usr/share/doc/$2"
  { printf 'omni %s. License: MIT OR Apache-2.0.\n\n' "$version"
    cat LICENSE-MIT; printf '\n'; cat LICENSE-APACHE; } > "$1/usr/share/doc/$2/copyright"
}
r=$tmp/deb-libomni0
mkdir -p "$r/DEBIAN" "$r/$deb_lib"
cp -a "$c/lib/libomni.so.$version" "$c/lib/libomni.so.$major" "$r/$deb_lib/"
copyright "$r" libomni0
cat > "$r/DEBIAN/control" <<EOF
Package: libomni$major
Source: omni
Version: $version
Architecture: $deb_arch
Multi-Arch: same
Section: libs
Priority: optional
Maintainer: $maintainer
Depends: $depends
Description: Omni Partner API request signing (C library)
 libomni signs and verifies Omni Partner API requests byte for byte, with the
 same Rust code as the omni crates, and explains a rejected signature.
EOF
printf 'libomni %s libomni%s (>= %s)\n' "$major" "$major" "$version" > "$r/DEBIAN/shlibs"
printf 'activate-noawait ldconfig\n' > "$r/DEBIAN/triggers"
dpkg-deb -Zgzip --root-owner-group --build "$r" "$out/libomni${major}_${version}_$deb_arch.deb" >/dev/null

r=$tmp/deb-libomni-dev
mkdir -p "$r/DEBIAN" "$r/$deb_lib/pkgconfig" "$r/usr/include"
cp -a "$c/lib/libomni.so" "$c/lib/libomni.a" "$r/$deb_lib/"
cp "$c/include/omni.h" "$r/usr/include/"
sed -e 's|^prefix=.*|prefix=/usr|' -e "s|^libdir=.*|libdir=\${prefix}/lib/$multiarch|" \
  "$c/lib/pkgconfig/omni.pc" > "$r/$deb_lib/pkgconfig/omni.pc"
copyright "$r" libomni-dev
cat > "$r/DEBIAN/control" <<EOF
Package: libomni-dev
Source: omni
Version: $version
Architecture: $deb_arch
Multi-Arch: same
Section: libdevel
Priority: optional
Maintainer: $maintainer
Depends: libomni$major (= $version)
Description: Omni Partner API request signing (C headers, static library)
 omni.h, libomni.a, the libomni.so link and omni.pc for pkg-config.
EOF
dpkg-deb -Zgzip --root-owner-group --build "$r" "$out/libomni-dev_${version}_$deb_arch.deb" >/dev/null

# --- the omni command ----------------------------------------------------------------------
step "omni $version: cargo zigbuild --release -p omni-cli (glibc $glibc_floor)"
CARGO_TARGET_DIR=$zig_cargo_target cargo zigbuild --release --locked -p omni-cli \
  --target "$zig_glibc_target"
cli_name=omni-$version-$arch-linux-gnu
mkdir -p "$tmp/$cli_name/bin"
cp "$(zig_release_dir)/omni" "$tmp/$cli_name/bin/"
cp README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md "$tmp/$cli_name/"
tar -C "$tmp" --owner=0 --group=0 -czf "$out/$cli_name.tar.gz" "$cli_name"

# --- Go module -----------------------------------------------------------------------------
step "omni-go $version: the Go module"
g=$tmp/omni-go-$version
mkdir -p "$g"
(cd bindings/go && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$g")
cp LICENSE-MIT LICENSE-APACHE "$g/"
tar -C "$tmp" --owner=0 --group=0 -czf "$out/omni-go-$version.tar.gz" "omni-go-$version"

# --- PHP Composer package ------------------------------------------------------------------
step "omni-php $version: the Composer package (omni_php.h, omni_ffi.h for FFI::load / ffi.preload)"
p=$tmp/omni-php-$version
mkdir -p "$p/include"
(cd bindings/php && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$p")
cp include/omni_php.h "$p/include/"
{ printf '#define FFI_SCOPE "omni"\n#define FFI_LIB "libomni.so.%s"\n' "$major"
  cat include/omni_php.h; } > "$p/include/omni_ffi.h"
# A path or artifact repository takes the version from composer.json.
python3 - "$p/composer.json" "$version" <<'EOF'
import json, sys
path, version = sys.argv[1], sys.argv[2]
doc = json.load(open(path))
doc["version"] = version
json.dump(doc, open(path, "w"), indent=4)
open(path, "a").write("\n")
EOF
cp LICENSE-MIT LICENSE-APACHE "$p/"
tar -C "$tmp" --owner=0 --group=0 -czf "$out/omni-php-$version.tar.gz" "omni-php-$version"

# --- Java jar ------------------------------------------------------------------------------
step "omni-$version.jar: mvn package, with libomni_jni.so (cargo zigbuild, glibc $glibc_floor) inside"
jni_module
(cd bindings/java && mvn -q -B -Dstyle.color=never clean package -Dmaven.test.skip=true \
  -Domni.native.dir="$(dirname "$jni_lib")") || die "mvn package of bindings/java failed"
jar=bindings/java/target/omni-$version.jar
[ -f "$jar" ] || die "mvn package wrote no $jar"
unzip -p "$jar" "omni/native/linux-$arch/libomni_jni.so" | cmp -s - "$jni_lib" \
  || die "$jar does not carry $jni_lib as omni/native/linux-$arch/libomni_jni.so"
cp "$jar" "$out/"

# --- Python wheel --------------------------------------------------------------------------
step "omni $version wheel: maturin build --zig --compatibility manylinux2014 (auditwheel check)"
python_module
wheels=("$target/wheels/omni-$version-"*.whl)
if [ "${#wheels[@]}" != 1 ] || [ ! -f "${wheels[0]}" ]; then
  die "maturin wrote not exactly one omni-$version wheel: ${wheels[*]}"
fi
case ${wheels[0]} in
  *-manylinux2014_"$arch".manylinux_2_17_"$arch".whl) ;;
  *) die "the wheel's platform tag is not manylinux2014 (glibc 2.17): $(basename "${wheels[0]}")" ;;
esac
cp "${wheels[0]}" "$out/"

# --- Node package --------------------------------------------------------------------------
step "omni-$version.tgz: npm pack of bindings/node, with omni.node (napi build -x, glibc $glibc_floor)"
node_cli
node_module
n=$tmp/node-package
mkdir -p "$n"
(cd bindings/node && cp package.json index.js index.d.ts omni.node README.md "$n/")
cp LICENSE-MIT LICENSE-APACHE "$n/"
# npm runs a dependency's install scripts (and node-gyp for a binding.gyp) on the user's
# machine: this package ships its addon built, so it has neither.
node -e '
  const s = require(process.argv[1]).scripts || {};
  const found = ["preinstall", "install", "postinstall", "prepare"].filter((k) => k in s);
  if (found.length) { console.error("install scripts: " + found); process.exit(1) }
' "$n/package.json" || die "bindings/node/package.json must not run scripts at install"
[ ! -e "$n/binding.gyp" ] || die "bindings/node must not ship a binding.gyp"
(cd "$n" && npm pack --silent --pack-destination "$out" >/dev/null) || die "npm pack of bindings/node failed"
[ -f "$out/omni-$version.tgz" ] || die "npm pack wrote no omni-$version.tgz"
tar -xzOf "$out/omni-$version.tgz" package/omni.node | cmp -s - bindings/node/omni.node \
  || die "omni-$version.tgz does not carry the omni.node just built"

# --- checksums -----------------------------------------------------------------------------
(cd "$out" && sha256sum -- * > SHA256SUMS)
step "dist/ ($version):"
(cd "$out" && ls -l)
