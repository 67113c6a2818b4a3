#!/bin/sh
# Measures Debian's mimetic 0.9.8 (libmimetic-dev) on the corpus and on hostile shapes, for the
# README's "Why not mimetic". A measurement tool: CMake never builds it.
#   cmake --build BUILD --target deskgate_parsers && tests/bench/mimetic/run-measure.sh BUILD [CORPUS]
# MIMETIC_LIST=1 lists every corpus file where mimetic and deskgate find different parts.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:?usage: run-measure.sh BUILD_DIR [CORPUS_DIR]}
corpus=${2:-$root/../shared/corpus}
lib=$build/parsers/libdeskgate_parsers.a
[ -f "$lib" ] || { echo "build deskgate_parsers first" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
g++ -std=c++23 -O2 -I"$root" "$here/mimetic_measure.cpp" "$lib" $(pkg-config --libs gumbo uchardet) -lcrypto -lmimetic \
  -o "$out/mimetic_measure" || exit 2
m=$out/mimetic_measure
# The same message files as tests/corpus and tests/bench/parse.
( cd "$corpus" && find . -type f \( -name '*.eml' -o -name '*.msg' \
    -o -path './sisimai-set-of-emails/mailbox/*' -o -path './cpython-email/data/msg_*' \
    -o -path './mimekit/messages/*' -o -path './mimekit/partial/*' -o -name '*.mbox.txt' \
    -o \( -path './flanker/messages/*' ! -name '*.expected.*' ! -name 'README*' \) -o -path './james-mime4j/mbox-test-resources/*' \) \
  | sort | sed "s|^\.|$corpus|" ) > "$out/list"
echo "mimetic $(dpkg-query -W -f '${Version}' libmimetic-dev 2>/dev/null)"
"$m" corpus "$out/list"
"$m" decode
"$m" compose
# Each hostile shape in its own process: a crash is reported by its signal, a hang by timeout.
run() {
    /usr/bin/time -f "  (%e s, peak RSS %M KB)" timeout 120 "$m" "$@" 2>"$out/err"
    rc=$?
    tail -n 1 "$out/err"
    if [ $rc -eq 124 ]; then echo "$*: still running after 120 s (timeout)"
    elif [ $rc -gt 128 ]; then echo "$*: killed by signal $((rc - 128))"
    elif [ $rc -ne 0 ]; then echo "$*: exit $rc"; fi
}
for n in 1000 10000 30000 50000 100000; do run nested $n; done
for mb in 1 2 4 8 50; do run header $mb; done
for n in 10000 100000 1000000; do run parts $n; done
