#!/usr/bin/env bash
# Java binding (bindings/java): builds libomni_jni (bindings/java/native, a Cargo workspace of
# its own that shares this repository's target/, so the core crates are compiled once; linked
# by zig for glibc 2.17, the build scripts/dist.sh packs into the jar), checks its formatting
# and lints, and runs the Maven project's JUnit 5 tests (Surefire) from a clean state against
# it. Installs a missing JDK or Maven from Debian packages, ziglang from PyPI and cargo-zigbuild
# from crates.io (scripts/lib/native.sh); Maven fetches the plugins, JUnit and Gson from Maven
# Central. Fails loudly; never skips a check silently.
#
#   bash scripts/check-java.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh
repo_paths
# shellcheck source=lib/native.sh
. scripts/lib/native.sh

need_cargo
need_cmd javac default-jdk-headless
need_cmd java default-jdk-headless
need_cmd mvn maven
need_cmd python3 python3
java_major=$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ { print $2 }')
[ "${java_major%%.*}" -ge 17 ] 2>/dev/null \
  || die "Java 17 or newer is needed, found java.specification.version=$java_major"

native=bindings/java/native/Cargo.toml

step "Java binding: cargo fmt --check and clippy -D warnings (bindings/java/native)"
cargo fmt --manifest-path "$native" -- --check
CARGO_TARGET_DIR=$target cargo clippy --locked --manifest-path "$native" --all-targets \
  -- -D warnings

step "Java binding: ziglang (PyPI) in $target/pyvenv, cargo-zigbuild (crates.io)"
python_venv
zig_toolchain

step "Java binding: cargo zigbuild --release (libomni_jni.so, glibc $glibc_floor)"
jni_module

# The same target and linker as the library, so its dependencies are compiled once.
step "Java binding: cargo-zigbuild test --release (libomni_jni's own tests: UTF-16 conversion)"
CARGO_TARGET_DIR=$zig_cargo_target cargo-zigbuild test --locked --release --manifest-path "$native" \
  --target "$zig_glibc_target"

step "Java binding: mvn clean test (JUnit 5 under Surefire, Java $java_major, -Xcheck:jni)"
(cd bindings/java && mvn -q -B -Dstyle.color=never clean test -Domni.library.path="$(dirname "$jni_lib")")
# mvn -q prints nothing on success: show Surefire's counts.
python3 - bindings/java/target/surefire-reports <<'PY'
import glob, sys, xml.etree.ElementTree as ET
runs = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    suite = ET.parse(path).getroot()
    runs += int(suite.get("tests"))
    failed += int(suite.get("failures")) + int(suite.get("errors"))
    skipped += int(suite.get("skipped"))
if runs == 0:
    sys.exit("error: Surefire ran no test")
print(f"java: {runs - failed - skipped} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
PY
