#!/usr/bin/env bash
# Tests the artifacts scripts/dist.sh wrote into dist/ as a user installs them: each one in a
# fresh temporary directory, with no path into the source tree (the test programs and the
# vectors are copied out first), no LD_LIBRARY_PATH, and runs tests/vectors/signing.json against
# the installed copy only. One line per artifact; stops at the first broken one.
#
#   bash scripts/dist.sh && bash scripts/check-dist.sh
#
# Every Linux binary's glibc floor (the highest GLIBC_ symbol version it imports) is printed and
# must not pass the one scripts/lib/native.sh states. Needs root for the Debian packages (dpkg -i;
# a trap removes them even when a step fails). Installs what it lacks from Debian packages
# (composer, golang-go, php-cli, maven, ...); the Java check takes Maven's plugins, JUnit and Gson
# from the machine's Maven cache (~/.m2, filled by scripts/check-java.sh), never from the network.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=lib/common.sh
. scripts/lib/common.sh
repo_paths
# shellcheck source=lib/native.sh
. scripts/lib/native.sh

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
need_cmd java default-jdk-headless
need_cmd mvn maven
need_cmd unzip unzip
need_cmd node nodejs
need_cmd npm npm
python3 -c 'import venv, ensurepip' 2>/dev/null || install_pkgs "python3 -m venv" python3-venv
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
cp tests/vectors/signing.json bindings/c/test_omni.c bindings/java/src/test/java/omni/VectorsTest.java \
  "$work/src/"
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
jar=$dist/omni-$version.jar
node_tgz=$dist/omni-$version.tgz
wheel=$dist/omni-$version-cp39-abi3-manylinux2014_$arch.manylinux_2_17_$arch.whl
for f in "$lib_tar" "$cli_tar" "$go_tar" "$php_tar" "$deb0" "$debdev" "$jar" "$wheel" "$node_tgz"; do
  [ -f "$f" ] || die "dist/ has no $(basename "$f") ($(cd "$dist" && echo ./*))"
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

mkdir -p "$work/cli" "$work/floor"
tar -C "$work/cli" -xzf "$cli_tar"
omni=$work/cli/omni-$version-$arch-linux-gnu/bin/omni
unzip -p "$jar" "omni/native/linux-$arch/libomni_jni.so" > "$work/floor/libomni_jni.so" \
  || die "omni-$version.jar has no omni/native/linux-$arch/libomni_jni.so"
unzip -p "$wheel" omni/_omni.abi3.so > "$work/floor/_omni.abi3.so" \
  || die "the wheel has no omni/_omni.abi3.so"
tar -xzOf "$node_tgz" package/omni.node > "$work/floor/omni.node" \
  || die "omni-$version.tgz has no package/omni.node"
floor() { # floor FILE WHAT: prints FILE's glibc floor; fails above the stated one
  local found
  found=$(bash "$root/scripts/glibc-floor.sh" "$1") || die "$2: no glibc floor read"
  [ "$(printf '%s\n%s\n' "$found" "$glibc_floor" | sort -V | tail -1)" = "$glibc_floor" ] \
    || die "$2 needs glibc $found, newer than the stated floor $glibc_floor"
  printf 'glibc  %-5s (<= %s)  %s\n' "$found" "$glibc_floor" "$2" >&2
  printf '%s\n' "$found"
}
lib_floor=$(floor "$so" "libomni.so.$version (tarball, libomni$major.deb)")
floor "$omni" "bin/omni (CLI tarball)" >/dev/null
floor "$work/floor/libomni_jni.so" "libomni_jni.so (omni-$version.jar)" >/dev/null
floor "$work/floor/_omni.abi3.so" "omni/_omni.abi3.so (the wheel, tagged manylinux2014)" >/dev/null
floor "$work/floor/omni.node" "omni.node (omni-$version.tgz)" >/dev/null
passed "glibc floors: every Linux binary runs on glibc $glibc_floor"

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

# --- Java ----------------------------------------------------------------------------------
# The jar goes into a file:// repository of its own; a throwaway project depends on it and runs
# the binding's own vector tests (moved out of the omni package: public API only). Its local
# repository is fresh and its only other repository is the machine's Maven cache, read as a
# file:// repository named central: plugins, JUnit and Gson come from there, never from the
# network (not `mvn -o`: Maven 3.8 refuses file:// repositories offline too). An omni jar left
# in that cache cannot stand in for the one under test: the jar Maven resolved and the one on
# the test classpath are both compared with dist's.
m2=$HOME/.m2/repository
[ -d "$m2/org/apache/maven/plugins/maven-surefire-plugin" ] \
  || die "Java: $m2 holds no Maven plugins yet: run scripts/check-java.sh first (it fills the cache)"
mkdir -p "$work/javarepo" "$work/javaapp/src/test/java/example" "$work/javatmp"
(cd "$work" && mvn -q -B -Dstyle.color=never \
  org.apache.maven.plugins:maven-install-plugin:3.2.0:install-file -Dfile="$jar" \
  -DgroupId=omni -DartifactId=omni -Dversion="$version" -Dpackaging=jar \
  -DlocalRepositoryPath="$work/javarepo" > install-file.out 2>&1) \
  || { cat "$work/install-file.out"; die "Java: mvn install:install-file of the jar failed"; }
sed -e 's/^package omni;/package example;\n\nimport omni.Omni;\nimport omni.OmniException;\nimport omni.Request;\nimport omni.Signer;/' \
  src/VectorsTest.java > "$work/javaapp/src/test/java/example/VectorsTest.java"
cat > "$work/javaapp/src/test/java/example/LoadedFromJarTest.java" <<'EOF'
package example;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import omni.Omni;
import omni.Signer;
import org.junit.jupiter.api.Test;

/** The classes and the native library come from the jar, and nothing is left in the temp dir. */
class LoadedFromJarTest {
  @Test
  void fromTheInstalledJar() throws Exception {
    assertNull(System.getProperty("omni.library.path"));
    Path jar = Path.of(Signer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertArrayEquals(Files.readAllBytes(Path.of(System.getProperty("dist.jar"))),
        Files.readAllBytes(jar), "the classpath's omni jar is not dist's: " + jar);
    assertEquals(System.getProperty("omni.version"), Omni.version());
    String[] left = new File(System.getProperty("java.io.tmpdir"))
        .list((dir, name) -> name.startsWith("omni_jni-"));
    assertEquals(0, left.length, "extracted library left: " + String.join(", ", left));
  }
}
EOF
cat > "$work/javaapp/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>omniapp</artifactId>
  <version>1</version>
  <properties>
    <maven.compiler.release>17</maven.compiler.release>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <repositories>
    <repository><id>omni-dist</id><url>file://$work/javarepo</url></repository>
    <repository><id>central</id><url>file://$m2</url></repository>
  </repositories>
  <pluginRepositories>
    <pluginRepository><id>central</id><url>file://$m2</url></pluginRepository>
  </pluginRepositories>
  <dependencies>
    <dependency><groupId>omni</groupId><artifactId>omni</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.junit.jupiter</groupId><artifactId>junit-jupiter</artifactId><version>5.14.4</version><scope>test</scope></dependency>
    <dependency><groupId>com.google.code.gson</groupId><artifactId>gson</artifactId><version>2.15.0</version><scope>test</scope></dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-resources-plugin</artifactId><version>3.5.0</version></plugin>
      <plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-compiler-plugin</artifactId><version>3.14.1</version></plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId><artifactId>maven-surefire-plugin</artifactId><version>3.5.4</version>
        <configuration>
          <argLine>-Xcheck:jni -Djava.io.tmpdir=$work/javatmp</argLine>
          <systemPropertyVariables>
            <omni.vectors>$work/src/signing.json</omni.vectors>
            <omni.version>$version</omni.version>
            <dist.jar>$jar</dist.jar>
          </systemPropertyVariables>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
EOF
(
  cd "$work/javaapp"
  mvn -q -B -Dstyle.color=never -Dmaven.repo.local="$work/javam2" test > mvn.out 2>&1 \
    || { cat mvn.out; die "Java: the throwaway Maven project failed against omni-$version.jar"; }
  cmp -s "$work/javam2/omni/omni/$version/omni-$version.jar" "$jar" \
    || die "Java: Maven did not resolve omni-$version.jar from the file:// repository"
  python3 - target/surefire-reports <<'PY' > java.out || { cat java.out; die "Java: vectors failed"; }
import glob, sys, xml.etree.ElementTree as ET
runs = failed = 0
for path in glob.glob(sys.argv[1] + "/TEST-*.xml"):
    suite = ET.parse(path).getroot()
    runs += int(suite.get("tests")) - int(suite.get("skipped"))
    failed += int(suite.get("failures")) + int(suite.get("errors"))
print(f"{runs - failed} passed, {failed} failed")
sys.exit(1 if failed or runs == 0 else 0)
PY
  passed "omni-$version.jar (file:// repository, one dependency, library from the jar): vectors ($(cat java.out))"
)

# --- Python --------------------------------------------------------------------------------
(
  cd "$work"
  python3 -m venv pyvenv || die "Python: cannot create a venv"
  pyvenv/bin/python -m pip install -q --disable-pip-version-check --no-index "$wheel" \
    || die "Python: pip install of $(basename "$wheel") failed"
  pyvenv/bin/python - src/signing.json > py.out <<'PY' || { cat py.out; die "Python: vectors failed"; }
import json, os, sys
import omni
assert os.path.dirname(omni.__file__).startswith(sys.prefix), f"omni imported from {omni.__file__}"
doc = json.load(open(sys.argv[1], encoding="utf-8"))
passed = 0
for c in doc["cases"]:
    a = dict(method=c["method"], url=c["url"], partner_client_id=c["partner_client_id"],
             timestamp_ms=c["timestamp_ms"], body=bytes.fromhex(c["body_hex"]),
             store_client_id=c["store_client_id"], store_token=c["store_token"])
    e = c["expect"]
    assert omni.sign(c["secret"], **a) == e["signature"], c["name"]
    with omni.Signer(c["secret"]) as signer:
        assert signer.sign(**a) == e["signature"], c["name"]
    assert omni.base_string(**a) == e["base_string"], c["name"]
    assert omni.body_hash(a["body"]) == e["body_hash"], c["name"]
    passed += 1
for c in doc["error_cases"]:
    a = dict(method=c["method"], url=c["url"], partner_client_id=c["partner_client_id"],
             timestamp_ms=c["timestamp_ms"], body=bytes.fromhex(c["body_hex"]),
             store_client_id=c["store_client_id"], store_token=c["store_token"])
    try:
        omni.sign(c["secret"], **a)
    except omni.OmniError as err:
        assert err.status == "OMNI_" + c["expect_error"].upper(), (c["name"], err.status)
    else:
        raise AssertionError(f"{c['name']}: no error")
    passed += 1
print(f"{passed} passed, 0 failed")
PY
  passed "Python wheel $(basename "$wheel") in a fresh venv: vectors ($(tail -1 py.out))"
)

# --- Node ----------------------------------------------------------------------------------
(
  mkdir -p "$work/nodeapp"
  cd "$work/nodeapp"
  printf '{ "name": "omniapp", "version": "1.0.0", "private": true }\n' > package.json
  npm install --offline --no-audit --no-fund --loglevel=error "$node_tgz" > npm.out 2>&1 \
    || { cat npm.out; die "Node: npm install of omni-$version.tgz failed"; }
  [ -f node_modules/omni/omni.node ] || die "Node: node_modules/omni/omni.node missing after npm install"
  node - "$work/src/signing.json" > node.out <<'JS' || { cat node.out; die "Node: vectors failed"; }
'use strict'
const assert = require('node:assert/strict')
const fs = require('node:fs')
const omni = require('omni')
assert.ok(require.resolve('omni').startsWith(process.cwd() + '/node_modules/'))
const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'))
const args = (c) => [c.method, c.url, c.partner_client_id, c.timestamp_ms,
  Buffer.from(c.body_hex, 'hex'), c.store_client_id, c.store_token]
let passed = 0
for (const c of doc.cases) {
  const a = args(c)
  assert.equal(omni.sign(c.secret, ...a), c.expect.signature, c.name)
  assert.equal(new omni.Signer(Buffer.from(c.secret)).sign(...a), c.expect.signature, c.name)
  assert.equal(omni.baseString(...a), c.expect.base_string, c.name)
  assert.equal(omni.bodyHash(a[4]), c.expect.body_hash, c.name)
  passed++
}
for (const c of doc.error_cases) {
  assert.throws(() => omni.sign(c.secret, ...args(c)),
    (e) => e instanceof omni.OmniError && e.code === 'OMNI_' + c.expect_error.toUpperCase(), c.name)
  passed++
}
console.log(`${passed} passed, 0 failed`)
JS
  passed "Node package omni-$version.tgz (npm install, offline): vectors ($(tail -1 node.out))"
)

step "every artifact in dist/ works as installed"
