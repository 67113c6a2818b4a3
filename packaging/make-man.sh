#!/usr/bin/env bash
# Builds deskgate(8) with help2man from the binary's own --help and --version, adding each
# sub-command's --help as a COMMANDS section and the hand-written parts of deskgate.h2m.
# Usage: make-man.sh BINARY OUTPUT.8.gz
set -euo pipefail
binary=$1
out=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
  echo "[COMMANDS]"
  for cmd in run check status ingest intake tickets quarantine explain rules report parse; do
    echo ".SS \"deskgate $cmd\""
    echo ".nf"
    # Roff: a leading dot or apostrophe would be read as a request; backslashes doubled.
    "$binary" "$cmd" --help | sed -e 's/\\/\\\\/g' -e "s/^\([.']\)/\\\\\&\1/"
    echo ".fi"
  done
  cat "$here/deskgate.h2m"
} >"$work/include.h2m"

help2man --section 8 --no-info --no-discard-stderr \
  --name "an email-driven helpdesk daemon" \
  --include "$work/include.h2m" \
  --output "$work/deskgate.8" "$binary"
gzip -9n -c "$work/deskgate.8" >"$out"
