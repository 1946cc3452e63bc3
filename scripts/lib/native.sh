# The native-extension bindings (bindings/python: PyO3 + maturin; bindings/node: napi-rs;
# bindings/java/native: JNI): tool installation and module builds, shared by
# scripts/check-native.sh, scripts/check-java.sh, scripts/dist.sh and bindings/bench.sh.
# Source it after scripts/lib/common.sh, with $root (the repository) and $target (the Cargo
# target directory, absolute) set. Tools come from their registries only: maturin, pytest and
# ziglang from PyPI into a venv under $target, cargo-zigbuild from crates.io, @napi-rs/cli from
# npm as bindings/node's locked devDependency.
#
# Every Linux binary omni ships (libomni, the omni command, the JNI library, the Python and Node
# modules) is linked by zig against glibc $glibc_floor's symbols, so it loads on any distribution
# with that glibc or newer (RHEL 7 and 8, Ubuntu 18.04 and 20.04 included), not only on the one
# it was built on. The tests run these same builds: what is tested is what ships.

# The oldest glibc every shipped Linux binary runs on; scripts/check-dist.sh fails above it.
glibc_floor=2.17
# Cargo's target for those builds; cargo-zigbuild reads the glibc version after the dot.
zig_target=$(uname -m)-unknown-linux-gnu
zig_glibc_target=$zig_target.$glibc_floor
# Target directories of their own: cargo fingerprints each crate with the linker (and the
# cargo) that built it, and cargo-zigbuild, maturin's copy of it and cargo-c each link through
# a different zig wrapper (cargo-c with another cargo), so in one directory each would rebuild
# what the other built. In its own, each one's rerun finds nothing to do.
zig_cargo_target=$target/zig-cargo      # cargo zigbuild: libomni_jni, the Node addon, omni
zig_maturin_target=$target/zig-maturin  # maturin --zig: the Python module
# The directory cargo zigbuild writes its release builds to.
zig_release_dir() { printf '%s/%s/release\n' "$zig_cargo_target" "$zig_target"; }
cargo_zigbuild_version=0.24.1

# python_venv: the venv with maturin and pytest, created or completed when missing; sets $py.
python_venv() {
  local venv=$target/pyvenv
  py=$venv/bin/python
  if [ ! -x "$py" ]; then
    python3 -m venv "$venv" 2>/dev/null || { install_pkgs "python3 -m venv" python3-venv; python3 -m venv "$venv"; } \
      || die "cannot create a Python venv at $venv"
  fi
  if ! "$py" -m pip install -q --disable-pip-version-check -r "$root/bindings/python/requirements-dev.txt"; then
    die "could not install bindings/python/requirements-dev.txt from PyPI into $venv"
  fi
}

# zig_toolchain: zig (the ziglang package of requirements-dev.txt, in the venv) and
# cargo-zigbuild (pinned, into cargo's bin directory, so later runs on the machine reuse it).
# Needs python_venv. cargo-zigbuild and maturin run zig as `$py -m ziglang`.
zig_toolchain() {
  export CARGO_ZIGBUILD_PYTHON_PATH=$py
  "$py" -m ziglang version >/dev/null 2>&1 || die "$py -m ziglang does not run zig (ziglang from PyPI)"
  if ! cargo-zigbuild --version 2>/dev/null | grep -qxF "cargo-zigbuild $cargo_zigbuild_version"; then
    # --debug: like cargo-c (scripts/dist.sh), it only drives cargo and zig.
    step "installing cargo-zigbuild $cargo_zigbuild_version from crates.io (cargo install --locked --debug)"
    cargo install cargo-zigbuild --version "=$cargo_zigbuild_version" --locked --debug \
      || die "could not install cargo-zigbuild $cargo_zigbuild_version"
    cargo-zigbuild --version 2>/dev/null | grep -qxF "cargo-zigbuild $cargo_zigbuild_version" \
      || die "cargo-zigbuild is not $cargo_zigbuild_version after installing it (PATH holds another?)"
  fi
}

# python_module: builds the wheel of bindings/python (release) with maturin, linked by zig for
# manylinux2014 (glibc 2.17; maturin's own auditwheel check refuses a wheel that needs more),
# into $target/wheels, and installs it into the venv, replacing any earlier build. Needs
# python_venv and zig_toolchain.
python_module() {
  local wheels=$target/wheels
  rm -rf "$wheels"
  CARGO_TARGET_DIR=$zig_maturin_target "$target/pyvenv/bin/maturin" build --release --locked \
    --zig --compatibility manylinux2014 --auditwheel check \
    -m "$root/bindings/python/Cargo.toml" -o "$wheels" \
    || die "maturin could not build bindings/python"
  "$py" -m pip uninstall -q -y omni >/dev/null 2>&1 || true
  "$py" -m pip install -q --disable-pip-version-check --no-deps --no-index "$wheels"/omni-*.whl \
    || die "could not install the omni wheel"
}

# node_cli: bindings/node's locked devDependencies (@napi-rs/cli) from npm, when missing.
node_cli() {
  need_cmd node nodejs
  need_cmd npm npm
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || die "Node $major found; bindings/node needs Node 20 or newer"
  if [ ! -x "$root/bindings/node/node_modules/.bin/napi" ]; then
    (cd "$root/bindings/node" && npm ci --no-audit --no-fund) \
      || die "npm ci in bindings/node failed (installs @napi-rs/cli from npm)"
  fi
}

# node_module: builds bindings/node (release) with napi-rs's CLI from a clean state, linked by
# zig (napi build -x: cargo-zigbuild) for glibc $glibc_floor: the addon omni.node and the
# TypeScript declarations index.d.ts, both beside package.json. Needs zig_toolchain.
node_module() {
  rm -f "$root/bindings/node/omni.node"
  (cd "$root/bindings/node" && CARGO_TARGET_DIR=$zig_cargo_target npx --no-install napi build --release \
    --cross-compile --target "$zig_glibc_target" --no-dts-cache --dts index.d.ts) \
    || die "napi build of bindings/node failed"
}

# jni_module: builds libomni_jni.so (bindings/java/native, release), linked by zig for glibc
# $glibc_floor, and sets $jni_lib to it. Needs zig_toolchain.
jni_module() {
  CARGO_TARGET_DIR=$zig_cargo_target cargo zigbuild --locked --release \
    --manifest-path "$root/bindings/java/native/Cargo.toml" --target "$zig_glibc_target" \
    || die "cargo zigbuild of bindings/java/native failed"
  jni_lib=$(zig_release_dir)/libomni_jni.so
  [ -f "$jni_lib" ] || die "$jni_lib was not built"
}
