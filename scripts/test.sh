#!/usr/bin/env bash
# Every check omni has, in one run. Fails loudly; never skips a check silently.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- toolchains -------------------------------------------------------------------------
# Installs what a check needs from Debian packages when it is missing; fails with a clear
# message when it cannot.
apt_updated=0
need() { # need COMMAND PACKAGE...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  step "installing $* (for $cmd)"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "$cmd is missing and cannot be installed here: install the Debian package(s) $* and rerun"
  fi
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "could not install $*"
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing $*"
}

command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust (rustup) first"
need node nodejs
need python3 python3

# --- Rust -------------------------------------------------------------------------------
step "test vectors are exactly what tests/vectors/generate.py writes"
python3 tests/vectors/generate.py --check

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "no_std build of omni-sign"
cargo build -p omni-sign --no-default-features

step "cargo test --workspace (unit, integration and doc tests)"
cargo test --workspace --all-features

# --- sections added by later issues (FFI, header drift, bindings) go below --------------

step "libomni: soname, header drift, C11/C++ header, exported symbols, C/Go/Java/PHP/Python bindings"
bash scripts/check-ffi.sh

step "the README's first command: cargo run --release -p omni-cli -- demo"
cargo run --release -p omni-cli -- demo

step "all checks passed"
