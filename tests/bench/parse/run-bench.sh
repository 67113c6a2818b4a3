#!/bin/sh
# Benchmarks deskgate's parser against Python 3's email package on the whole corpus, twice:
#  1. the library: bench_parse (parseMail in one process, files read first) against Python's
#     parse + body (python_email_bench.py);
#  2. the command: `deskgate parse --json`, one process per 400 files (xargs -n 400), against
#     Python's parse + body + JSON of five fields in one process (python_email_bench.py --json).
#   cmake --build BUILD --target bench_parse deskgate && tests/bench/parse/run-bench.sh BUILD [CORPUS]
# Prints each line and the ratio of mails/s, by wall time and by CPU time (the CPU-time ratio
# is the steadier one on a shared machine). All runs are niced alike.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-bench.sh BUILD_DIR [CORPUS_DIR]}
corpus=${2:-$here/../../../../shared/corpus}
bench=$build/tests/bench/parse/bench_parse
deskgate=$build/daemon/deskgate
[ -x "$deskgate" ] || deskgate=$(find "$build" -name deskgate -type f -perm -u+x | head -n 1)
[ -x "$bench" ] || { echo "build bench_parse first: cmake --build $build --target bench_parse" >&2; exit 2; }
[ -n "$deskgate" ] && [ -x "$deskgate" ] || { echo "build deskgate first: cmake --build $build --target deskgate" >&2; exit 2; }
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

rate() { echo "$1" | sed "s/.* $2=\([0-9.]*\).*/\1/"; }
ratio() {  # ratio LABEL DESKGATE_LINE PYTHON_LINE
    python3 -c "print(f'ratio $1 (wall time): {float($(rate "$2" mails_per_s))/float($(rate "$3" mails_per_s)):.1f}x, '
                 f'ratio $1 (CPU time): {float($(rate "$2" cpu_mails_per_s))/float($(rate "$3" cpu_mails_per_s)):.1f}x '
                 'as many mails/s as Python email')"
}

# 1. The library.
cpp=$(nice -n 10 "$bench" --rounds "${ROUNDS:-10}" --list "$list")
echo "$cpp"
py=$(nice -n 10 python3 "$here/python_email_bench.py" "$list" "${PY_ROUNDS:-2}")
echo "$py"
ratio library "$cpp" "$py"

# 2. The command, as a script or an admin runs it over a folder of mails. Wall time and the
# children's CPU time (user + system) come from Python's os.wait4-based accounting.
cmd=$(nice -n 10 python3 - "$deskgate" "$list" "${CMD_ROUNDS:-5}" <<'PY'
import resource, subprocess, sys, time
deskgate, listfile, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
n = sum(1 for line in open(listfile) if line.strip())
before = resource.getrusage(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
for _ in range(rounds):
    # xargs exits 123 when a deskgate process exits 1 (some file was rejected by the parser).
    rc = subprocess.run(f"tr '\\n' '\\0' < '{listfile}' | xargs -0 -n 400 '{deskgate}' parse --json > /dev/null 2>&1",
                        shell=True).returncode
    if rc not in (0, 123):
        sys.exit(f"deskgate parse --json failed with {rc}")
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
print(f"deskgate parse --json: mails={n} rounds={rounds} processes_per_round={-(-n // 400)} seconds={seconds:.3f} "
      f"cpu_seconds={cpu:.3f} mails_per_s={n * rounds / seconds:.1f} cpu_mails_per_s={n * rounds / cpu:.1f}")
PY
)
echo "$cmd"
pyjson=$(nice -n 10 python3 "$here/python_email_bench.py" "$list" "${PY_ROUNDS:-2}" --json 2>&1 >/dev/null)
echo "$pyjson"
ratio command "$cmd" "$pyjson"
