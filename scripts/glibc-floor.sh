#!/usr/bin/env bash
# The oldest glibc an ELF file runs on: the highest GLIBC_x.y version among the symbols it
# imports (objdump -T). One file: prints the version (e.g. 2.34). Several, or --table: prints
# "version<TAB>file" lines.
#
#   bash scripts/glibc-floor.sh dist/libomni.so.0.1.0
set -euo pipefail
table=0
if [ "${1:-}" = --table ]; then table=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--table] ELF-FILE..." >&2; exit 2; }
[ $# -gt 1 ] && table=1
for f in "$@"; do
  [ -f "$f" ] || { echo "error: $f: no such file" >&2; exit 1; }
  floor=$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/^GLIBC_//' | sort -uV | tail -1)
  [ -n "$floor" ] || { echo "error: $f imports no GLIBC_ symbol version (not a glibc ELF file?)" >&2; exit 1; }
  if [ "$table" = 1 ]; then printf '%s\t%s\n' "$floor" "$f"; else printf '%s\n' "$floor"; fi
done
