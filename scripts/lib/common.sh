# Shared by the scripts: messages, the repository's paths and toolchain installation.
# Installs what a check needs from Debian packages when it is missing; fails with a clear
# message when it cannot. Source it; it defines functions only.

# Each step line carries the UTC time, so a CI log shows where the time went.
step() { printf '\n==> [%s] %s\n' "$(date -u +%H:%M:%S)" "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# repo_paths: run from the repository's root. Sets root (that directory) and target (cargo's
# target directory, made absolute: scripts change directory and pass it on), and keeps cargo's
# output free of colour codes unless CARGO_TERM_COLOR asks for them.
repo_paths() {
  root=$PWD
  target=${CARGO_TARGET_DIR:-$root/target}
  case $target in /*) ;; *) target=$root/$target ;; esac
  export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
}
need_cargo() { command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust (rustup) first"; }

apt_updated=0
install_pkgs() { # install_pkgs WHAT PACKAGE...
  local what=$1; shift
  step "installing $* (for $what)"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    die "$what is missing and cannot be installed here (not root or no apt-get): install the Debian package(s) $* and rerun"
  fi
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "could not install $* (for $what)"
}
need_cmd() { # need_cmd COMMAND PACKAGE...
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  install_pkgs "$cmd" "$@"
  command -v "$cmd" >/dev/null 2>&1 || die "$cmd still missing after installing $*"
}
need_file() { # need_file PATH PACKAGE...
  local file=$1; shift
  [ -e "$file" ] && return 0
  install_pkgs "$file" "$@"
  [ -e "$file" ] || die "$file still missing after installing $*"
}

