#!/bin/sh
# Benchmarks parseMail against Python 3's email package on the whole corpus.
#   cmake --build BUILD --target bench_parse && tests/bench/parse/run-bench.sh BUILD [CORPUS]
# Prints both lines and the ratio of mails/s, by wall time and by CPU time (the CPU-time
# ratio is the steadier one on a shared machine). Both runs are niced alike.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-bench.sh BUILD_DIR [CORPUS_DIR]}
corpus=${2:-$here/../../../../shared/corpus}
bench=$build/tests/bench/parse/bench_parse
[ -x "$bench" ] || { echo "build bench_parse first: cmake --build $build --target bench_parse" >&2; exit 2; }
[ -d "$corpus" ] || { echo "corpus not found: $corpus" >&2; exit 2; }
list=$(mktemp)
trap 'rm -f "$list"' EXIT
# The same message files as tests/corpus (expected-result files, licences etc. left out).
( cd "$corpus" && find . -type f \( -name '*.eml' -o -name '*.msg' \
    -o -path './sisimai-set-of-emails/mailbox/*' -o -path './cpython-email/data/msg_*' \
    -o -path './mimekit/messages/*' -o -path './mimekit/partial/*' -o -name '*.mbox.txt' \
    -o \( -path './flanker/messages/*' ! -name '*.expected.*' ! -name 'README*' \) -o -path './james-mime4j/mbox-test-resources/*' \) \
  | sort | sed "s|^\.|$corpus|" ) > "$list"
echo "files: $(wc -l < "$list"), $(cat "$list" | tr '\n' '\0' | xargs -0 cat | wc -c) bytes"
cpp=$(nice -n 10 "$bench" --rounds "${ROUNDS:-10}" --list "$list")
echo "$cpp"
py=$(nice -n 10 python3 "$here/python_email_bench.py" "$list" "${PY_ROUNDS:-2}")
echo "$py"
rate() { echo "$1" | sed "s/.* $2=\([0-9.]*\).*/\1/"; }
python3 -c "print(f'ratio (wall time): {float($(rate "$cpp" mails_per_s))/float($(rate "$py" mails_per_s)):.1f}x, '
             f'ratio (CPU time): {float($(rate "$cpp" cpu_mails_per_s))/float($(rate "$py" cpu_mails_per_s)):.1f}x '
             'as many mails/s as Python email')"
