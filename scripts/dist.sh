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
#   SHA256SUMS
#
# libomni is laid out by cargo-c (crates/omni-ffi [package.metadata.capi]); the one release
# build of the core feeds the tarball and both Debian packages. glibc floors are stated by
# scripts/glibc-floor.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}
case $target in /*) ;; *) target=$root/$target ;; esac
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# shellcheck source=lib/common.sh
. scripts/lib/common.sh

command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust (rustup) first"
need_cmd cc gcc
need_cmd pkg-config pkg-config
need_cmd readelf binutils
need_cmd objdump binutils
need_cmd dpkg-deb dpkg
need_cmd python3 python3
need_cmd sha256sum coreutils

# The newest cargo-c (0.10.26) needs a newer Rust than this workspace's toolchain; 0.10.24 is
# the last one that builds with Rust 1.95. --locked: its own Cargo.lock, as released.
# Installed into cargo's own bin directory, so that later runs on the same machine (a fresh
# clone included) reuse it: building it takes minutes.
cargo_c_version=0.10.24
if ! cargo cinstall --version 2>/dev/null | grep -qF "cargo-c $cargo_c_version"; then
  step "installing cargo-c $cargo_c_version from crates.io (cargo install --locked)"
  cargo install cargo-c --version "=$cargo_c_version" --locked \
    || die "could not install cargo-c $cargo_c_version"
  cargo cinstall --version 2>/dev/null | grep -qF "cargo-c $cargo_c_version" \
    || die "cargo cinstall is not cargo-c $cargo_c_version after installing it (PATH holds another?)"
fi

version=$(cargo metadata --no-deps --format-version 1 | python3 -c \
  'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "omni-ffi"))')
major=${version%%.*}
arch=$(uname -m)
deb_arch=$(dpkg --print-architecture)
multiarch=$(cc -print-multiarch)
[ -n "$multiarch" ] || die "cc -print-multiarch printed nothing"
triple=$(rustc -vV | sed -n 's/^host: //p')

out=$root/dist
rm -rf "$out"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- libomni: cargo-c build, tarball ------------------------------------------------------
step "libomni $version: cargo cinstall --release -p omni-ffi (cargo-c lays out lib/ and include/)"
cargo cinstall --release --locked -p omni-ffi --target "$triple" --prefix /usr --libdir lib \
  --destdir "$tmp/cinstall"
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
step "omni $version: cargo build --release -p omni-cli"
cargo build --release --locked -p omni-cli
cli_name=omni-$version-$arch-linux-gnu
mkdir -p "$tmp/$cli_name/bin"
cp "$target/release/omni" "$tmp/$cli_name/bin/"
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

# --- checksums -----------------------------------------------------------------------------
(cd "$out" && sha256sum -- * > SHA256SUMS)
step "dist/ ($version):"
(cd "$out" && ls -l)
