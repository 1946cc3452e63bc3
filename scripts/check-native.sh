#!/usr/bin/env bash
# The native-extension bindings, built from a clean state and tested:
#   - bindings/python: the `omni` module (PyO3, built by maturin as an abi3 manylinux2014 wheel,
#     installed in a venv under the target directory), tested with pytest;
#   - bindings/node: the `omni` package (napi-rs addon built by @napi-rs/cli, with its generated
#     TypeScript declarations checked against the committed index.d.ts), tested with node --test.
# Both are linked by zig for glibc 2.17 (scripts/lib/native.sh): the builds tested here are the
# ones scripts/dist.sh ships.
# Each binding crate is a Cargo workspace of its own sharing the repository's target directory,
# so omni-sign is built once. Installs what is missing from the registries (maturin, pytest and
# ziglang from PyPI, cargo-zigbuild from crates.io, @napi-rs/cli from npm by
# bindings/node/package-lock.json); never skips a check silently.
#
#   bash scripts/check-native.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh
repo_paths
# shellcheck source=lib/native.sh
. scripts/lib/native.sh

need_cargo
need_cmd python3 python3

# --- Python (bindings/python) -----------------------------------------------------------
step "Python: maturin, pytest and ziglang (PyPI) in $target/pyvenv; cargo-zigbuild (crates.io)"
python_venv
zig_toolchain

step "Python: cargo fmt --check and clippy -D warnings of bindings/python"
(cd bindings/python && cargo fmt -- --check \
  && CARGO_TARGET_DIR=$target cargo clippy --locked --all-targets -- -D warnings)

step "Python: maturin build --release --zig (abi3 wheel, manylinux2014) and install into the venv"
python_module

step "Python: pytest bindings/python/tests (vectors, hostile calls, text rules, threads)"
(cd "$root/bindings/python" && "$py" -m pytest -q -p no:cacheprovider tests)

# --- Node (bindings/node) ---------------------------------------------------------------
step "Node: @napi-rs/cli (npm ci, locked) in bindings/node/node_modules"
node_cli

step "Node: cargo fmt --check and clippy -D warnings of bindings/node"
(cd bindings/node && cargo fmt -- --check \
  && CARGO_TARGET_DIR=$target cargo clippy --locked --all-targets -- -D warnings)

step "Node: napi build --release -x (cargo-zigbuild, glibc $glibc_floor: omni.node and index.d.ts)"
node_module
git diff --exit-code -- bindings/node/index.d.ts \
  || die "bindings/node/index.d.ts differs from what napi build generates: commit the generated file"

step "Node: node --test bindings/node/test (vectors, hostile calls, text rules, worker threads)"
(cd bindings/node && node --test test/)

step "native bindings passed"
