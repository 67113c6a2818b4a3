#!/bin/sh
# Builds the libFuzzer target for parseMail with clang 14 (the main build uses g++, which has
# no libFuzzer). Usage: tests/fuzz/build-fuzzer.sh [OUTDIR]   (default: build-fuzz)
# Run:  nice -n 19 OUTDIR/fuzz_parse -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
#         OUTDIR/corpus tests/fuzz/corpus-parse
# Crashing inputs (crash-*, timeout-*, oom-*) go into tests/fuzz/corpus-parse/ once fixed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/build-fuzz}
mkdir -p "$out"
srcs=$(ls "$root"/parsers/*.cpp | grep -v '/imap_')
# compat/ provides <expected> for clang 14 (see compat/expected).
nice clang++-14 -std=c++2b -O1 -g -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$here/compat" -I"$root" -include utility -DDESKGATE_FUZZING \
  $srcs "$here/fuzz_parse.cpp" \
  $(pkg-config --cflags --libs gumbo uchardet) -lcrypto \
  -o "$out/fuzz_parse"
echo "built $out/fuzz_parse"
