#!/usr/bin/env bash
# Compares this tree's signer with another commit's, side by side on the same machine:
#
#   scripts/bench-sign-compare.sh BASE_COMMIT [ROUNDS]    (ROUNDS defaults to 20)
#
# Builds omni-sign's `sign` bench (criterion) here and at BASE_COMMIT, then runs
# `sign/signer/0B` and `sign/signer/200B` of the two binaries alternately, ROUNDS times, the
# order swapped every round. Each round gives a ratio (this tree's criterion median over the
# base's); the verdict is the median of those per-round ratios, which cancels most of the
# drift of a shared machine between rounds. Bounded: ROUNDS x 2 sizes x 2 binaries criterion
# runs of about 3 s each.
#
# Environment:
#   OMNI_BENCH_BASE_TREE    where the base commit is checked out (a git worktree, created if
#                           absent; default target/bench-base/<commit>)
#   OMNI_BENCH_BASE_TARGET  cargo target directory for the base build (default: this tree's
#                           target directory, so the base build reuses its compiled
#                           dependencies)
#   OMNI_BENCH_ARGS         criterion arguments for each run (default below)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/common.sh
. scripts/lib/common.sh

[ $# -ge 1 ] && [ $# -le 2 ] || die "usage: $0 BASE_COMMIT [ROUNDS]"
need_cmd python3 python3
base=$(git rev-parse --verify "$1^{commit}") || die "not a commit: $1"
rounds=${2:-20}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "ROUNDS must be a positive whole number: $rounds"
here=$(pwd)
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
tree=${OMNI_BENCH_BASE_TREE:-$target/bench-base/${base:0:12}}
base_target=${OMNI_BENCH_BASE_TARGET:-$target}
read -r -a args <<<"${OMNI_BENCH_ARGS:---warm-up-time 0.5 --measurement-time 2 --nresamples 1000}"

if [ ! -e "$tree" ]; then
  step "checking out $base at $tree"
  git worktree add --detach "$tree" "$base" >/dev/null
fi
[ "$(git -C "$tree" rev-parse HEAD)" = "$base" ] \
  || die "$tree is at $(git -C "$tree" rev-parse --short HEAD), not ${base:0:12}: remove it or check out the base commit there"

# The path of the `sign` bench executable that `cargo bench --no-run` builds in directory $1.
build_bench() {
  (cd "$1" && cargo bench -p omni-sign --bench sign --no-run --message-format=json) \
    | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "sign" and m.get("executable"):
        print(m["executable"])'
}

step "building the sign bench at ${base:0:12} (target directory $base_target)"
base_bin=$(CARGO_TARGET_DIR=$base_target build_bench "$tree")
step "building the sign bench of this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ', with uncommitted changes'))"
new_bin=$(build_bench "$here")
[ -x "$base_bin" ] && [ -x "$new_bin" ] || die "a bench executable is missing: '$base_bin' '$new_bin'"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One criterion run of benchmark $2 by binary $1 (results under $work/$3); prints its median, ns.
median_ns() {
  CRITERION_HOME="$work/$3" "$1" --bench --exact "$2" --noplot "${args[@]}" >"$work/log" 2>&1 \
    || { cat "$work/log" >&2; die "$1 failed on $2"; }
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' \
    "$work/$3/$2/new/estimates.json"
}

step "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); load average $(cut -d' ' -f1-3 /proc/loadavg)"
step "$rounds rounds, criterion ${args[*]}"
printf 'round  size   base ns    new ns   new/base\n' | tee "$work/rounds"
for round in $(seq 1 "$rounds"); do
  for size in 0B 200B; do
    id=sign/signer/$size
    if [ $((round % 2)) = 1 ]; then
      b=$(median_ns "$base_bin" "$id" base); n=$(median_ns "$new_bin" "$id" new)
    else
      n=$(median_ns "$new_bin" "$id" new); b=$(median_ns "$base_bin" "$id" base)
    fi
    python3 -c 'import sys; r, s, b, n = sys.argv[1:]; b, n = float(b), float(n); print(f"{r:>5}  {s:<5} {b:>8.1f}  {n:>8.1f}   {n / b:.3f}")' \
      "$round" "$size" "$b" "$n" | tee -a "$work/rounds"
  done
done

step "summary: median of the per-round ratios (new/base); medians of the criterion medians"
python3 - "$work/rounds" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]).read().splitlines()[1:]]
for size in ("0B", "200B"):
    mine = [r for r in rows if r[1] == size]
    ratios = sorted(float(r[4]) for r in mine)
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    print(f"{size:>5}: base {statistics.median(float(r[2]) for r in mine):.1f} ns, "
          f"new {statistics.median(float(r[3]) for r in mine):.1f} ns, "
          f"new/base {statistics.median(ratios):.3f} (IQR {q[0]:.3f}-{q[2]:.3f}, "
          f"range {ratios[0]:.3f}-{ratios[-1]:.3f}, {len(ratios)} rounds)")
PY
