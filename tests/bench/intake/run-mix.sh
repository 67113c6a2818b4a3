#!/usr/bin/env bash
# Intake on a realistic mail mix (issue 11), on SQLite and on PostgreSQL with fsync and
# synchronous_commit on, as in production: N mails (default 10,000) from 2,000 senders, ~20%
# replies, 10% with a 20-120 KB attachment, 15% multipart/alternative, 5% HTML only, UTF-8 and
# ISO-8859-1 in 8bit, quoted-printable and base64 (gen_mix.py, deterministic) are written into
# the support INBOX's Maildir before the daemon starts; `deskgate run` (the shipped example
# rules and templates) takes them in over IMAP while its outbox sends the answers to Postfix's
# smtp-sink. Reported per backend: intake mails/s (daemon start to the last mail committed),
# outbox mails/s (daemon start to the last answer sent), the daemon's peak RSS, and the shares
# of CPU time (perf record -a, the daemon and its servers only) in parse, rules, database,
# IMAP, SMTP.
#
#   tests/bench/intake/run-mix.sh [N]          needs a built build/daemon/deskgate
#   BENCH_PERF=0 ...                           without the profile
#   BENCH_BACKENDS="postgresql" ...            one backend only
#   BENCH_SEND=0 ...                           SMTP unreachable: intake alone, the answers stay queued
#   BENCH_PG_SLOW_MS=2 ...                     log PostgreSQL statements over 2 ms and list the costliest
#   BENCH_KEEP=1 ...                           keep the work directory (daemon logs, databases)
#
# Own server ports (13xxx; BENCH_IMAP_PORT, BENCH_PG_PORT, BENCH_SINK_PORT ... override them) and
# base directory, so it can run next to the test suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$root/tests/bench/intake
n=${1:-10000}
deskgate=${HD_BUILD_DIR:-$root/build}/daemon/deskgate
[ -x "$deskgate" ] || { echo "build deskgate first ($deskgate)" >&2; exit 1; }
work=$(mktemp -d /tmp/deskgate-bench-mix.XXXXXX)
chmod 755 "$work"
export HD_BASE=$work/servers HD_IMAP_PORT=${BENCH_IMAP_PORT:-13143} HD_IMAPS_PORT=${BENCH_IMAPS_PORT:-13993} \
       HD_LMTP_PORT=${BENCH_LMTP_PORT:-13024} HD_SMTP_PORT=${BENCH_SMTP_PORT:-13025} \
       HD_SASL_PORT=${BENCH_SASL_PORT:-13026} HD_PG_PORT=${BENCH_PG_PORT:-57329} \
       HD_SMTP_LIMITED_PORT=${BENCH_SMTP_LIMITED_PORT:-13027}
sink_port=${BENCH_SINK_PORT:-13125}
"$root/tests/scripts/start-servers.sh" >/dev/null
sink_pid=
cleanup() {
  [ -z "$sink_pid" ] || kill "$sink_pid" 2>/dev/null || true
  "$root/tests/scripts/stop-servers.sh" >/dev/null 2>&1
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $work (logs, databases)"; else rm -rf "$work"; fi
}
trap cleanup EXIT
. "$HD_BASE/env.sh"

# The test servers run PostgreSQL without fsync (their durability is not under test); the
# benchmark measures what production pays for: fsync, synchronous_commit, full_page_writes on.
pgsu() { runuser -u postgres -- psql -X -q -h "$HD_BASE/pg/run" -p "$HD_PG_PORT" -U postgres -d postgres "$@"; }
pgsu -c "ALTER SYSTEM SET fsync = on" -c "ALTER SYSTEM SET synchronous_commit = on" \
     -c "ALTER SYSTEM SET full_page_writes = on" -c "SELECT pg_reload_conf()" >/dev/null
if [ -n "${BENCH_PG_SLOW_MS:-}" ]; then
  # Statements slower than this are logged (with their duration) and summed up after the run.
  pgsu -c "ALTER SYSTEM SET log_min_duration_statement = '${BENCH_PG_SLOW_MS}ms'" -c "SELECT pg_reload_conf()" >/dev/null
fi
sleep 0.5
durability=$(pgsu -Atc "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM pg_settings
                        WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes')")
case "$durability" in *"fsync=on"*"synchronous_commit=on"*) ;; *) echo "PostgreSQL not durable: $durability" >&2; exit 1 ;; esac

if [ "${BENCH_SEND:-1}" = 0 ]; then
  smtp_url=smtp://127.0.0.1:1
else
  /usr/sbin/smtp-sink -u nobody 127.0.0.1:"$sink_port" 512 &
  sink_pid=$!
  smtp_url=smtp://127.0.0.1:$sink_port/helpdesk.test
fi

support_dir=$($HD_DOVEADM mailbox path -u support@helpdesk.test INBOX)
fill_inbox() {
  $HD_DOVEADM expunge -u support@helpdesk.test mailbox INBOX all
  $HD_DOVEADM mailbox status -u support@helpdesk.test messages INBOX >/dev/null
  local owner
  owner=$(stat -c %u:%g "$support_dir/new")
  /usr/bin/python3 "$here/gen_mix.py" --count "$n" --maildir "$support_dir" >"$work/mix.txt"
  chown -R "$owner" "$support_dir"
  # Dovecot takes the files in (UIDs in file-name order) and indexes them, as it does for mail
  # that arrives over time; not part of the measurement.
  $HD_DOVEADM index -u support@helpdesk.test INBOX
}

count() {
  local sql=$2
  case "$1" in
    sqlite:*) sqlite3 "${1#sqlite:}" "$sql" 2>/dev/null || echo 0 ;;
    *) psql -X "$HD_PG_CONNINFO dbname=bench" -Atc "$sql" 2>/dev/null || echo 0 ;;
  esac
}

# Polling for the end of the run goes through one connection kept open (a coprocess): a psql
# or sqlite3 started every 0.2 s cost the machine 14% of its CPU in the profile, taken from the
# daemon and PostgreSQL. A marker line ends each answer (an error, such as a table the daemon
# has not made yet, prints nothing to stdout: the answer is then 0).
open_poll() {
  case "$1" in
    sqlite:*) coproc POLL { sqlite3 -cmd '.timeout 5000' "${1#sqlite:}" 2>/dev/null; } ;;
    *) coproc POLL { psql -X -At "$HD_PG_CONNINFO dbname=bench" 2>/dev/null; } ;;
  esac
}
poll() {
  local end answer=0 line
  case "$1" in sqlite:*) end='.print __end__' ;; *) end='\echo __end__' ;; esac
  printf '%s;\n%s\n' "$2" "$end" >&"${POLL[1]}"
  while read -r -t 60 line <&"${POLL[0]}"; do
    [ "$line" = __end__ ] && break
    answer=$line
  done
  echo "${answer:-0}"
}
close_poll() { exec {POLL[1]}>&-; wait "$POLL_PID" 2>/dev/null || true; }

# The descendants of a process (a server's workers).
tree() {
  local all=" $1" frontier="$1" next p
  while [ -n "$frontier" ]; do
    next=
    for p in $frontier; do next+=" $(ps -o pid= --ppid "$p" | tr '\n' ' ')"; done
    frontier=$(echo $next)
    all+=" $frontier"
  done
  echo $all
}

run_one() {
  local label=$1 db=$2
  fill_inbox
  printf '%s\n' "$HD_PASSWORD" >"$work/pw"
  cat >"$work/deskgate.yaml" <<YAML
database: $db
identity: { name: Bench Support, address: support@helpdesk.test }
mailboxes:
  - { name: support, url: $HD_IMAP_URL, username: support@helpdesk.test, password_file: $work/pw,
      address: support@helpdesk.test, first_start: { since: 1d } }
smtp: { url: "$smtp_url" }
agents:
  - { name: anna, address: anna@helpdesk.test, teams: [first-level] }
  - { name: ben, address: ben@helpdesk.test, teams: [first-level] }
  - { name: carla, address: carla@helpdesk.test, teams: [second-level] }
rules: $root/etc/rules
templates: $root/etc/templates
YAML
  "$deskgate" check --config "$work/deskgate.yaml" >/dev/null
  local perf_pid=
  if [ "${BENCH_PERF:-1}" = 1 ]; then
    perf record -a -F 499 -o "$work/perf.$label.data" -q >/dev/null 2>&1 &
    perf_pid=$!
    sleep 0.5
  fi
  local start intake_end outbox_end pid rss
  start=$(date +%s.%N)
  "$deskgate" run --config "$work/deskgate.yaml" --log-level warn 2>"$work/$label.log" &
  pid=$!
  open_poll "$db"
  until [ "$(poll "$db" 'SELECT COUNT(*) FROM intake_log')" -ge "$n" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "deskgate died:" >&2; tail "$work/$label.log" >&2; exit 1; }
    sleep 0.2
  done
  intake_end=$(date +%s.%N)
  if [ "${BENCH_SEND:-1}" != 0 ]; then
    until [ "$(poll "$db" "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" -eq 0 ]; do sleep 0.2; done
  fi
  outbox_end=$(date +%s.%N)
  close_poll
  rss=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status")
  local pg_pids dovecot_pids
  pg_pids=$(tree "$(head -n 1 "$HD_BASE/pg/data/postmaster.pid")")
  dovecot_pids=$(tree "$(cat "$HD_BASE/dovecot/run/master.pid")")
  [ -z "$perf_pid" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  kill -TERM "$pid"; wait "$pid" || true
  local sent tickets quarantined errors
  sent=$(count "$db" "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")
  tickets=$(count "$db" 'SELECT COUNT(*) FROM tickets')
  quarantined=$(count "$db" 'SELECT COUNT(*) FROM quarantine')
  errors=$(grep -c ' error \[' "$work/$label.log" || true)
  if [ "$quarantined" != 0 ]; then
    echo "$label: quarantined by reason:" >&2
    count "$db" "SELECT COUNT(*) || ' ' || substr(reason, 1, 160) FROM quarantine GROUP BY reason ORDER BY COUNT(*) DESC LIMIT 5" >&2
  fi
  awk -v n="$n" -v s="$start" -v i="$intake_end" -v o="$outbox_end" -v sent="$sent" -v l="$label" -v rss="$rss" \
      -v t="$tickets" -v q="$quarantined" -v e="$errors" -v send="${BENCH_SEND:-1}" 'BEGIN {
    printf "%-11s intake %d mails in %.1f s = %.0f mails/s (%d tickets, %d quarantined, %d error lines)\n", l, n, i - s, n / (i - s), t, q, e
    if (send != 0) printf "%-11s outbox %d mails sent in %.1f s = %.0f mails/s (daemon start to the last answer)\n", "", sent, o - s, sent / (o - s)
    printf "%-11s peak RSS %.1f MB\n", "", rss / 1024 }'
  if [ -n "${BENCH_PG_SLOW_MS:-}" ] && [ "$label" = PostgreSQL ]; then
    echo "            statements over ${BENCH_PG_SLOW_MS} ms, by total time:"
    /usr/bin/python3 - "$HD_BASE/pg/postgres.log" <<'PY' | sed "s/^/              /"
import collections, re, sys
total, count = collections.Counter(), collections.Counter()
for line in open(sys.argv[1], errors="replace"):
    m = re.search(r"duration: ([0-9.]+) ms\s+(?:statement|execute [^:]*): (.*)", line)
    if m:
        key = re.sub(r"\s+", " ", m.group(2))[:110]
        total[key] += float(m.group(1)); count[key] += 1
for key, ms in total.most_common(12):
    print(f"{ms / 1000:7.2f} s {count[key]:6d}x  {key}")
PY
  fi
  if [ -n "$perf_pid" ]; then
    perf script -i "$work/perf.$label.data" -F comm,pid,tid,ip,sym,dso 2>/dev/null |
      /usr/bin/python3 "$here/perf_shares.py" --deskgate "$pid" --database "$pg_pids" --imap "$dovecot_pids" \
        --smtp "${sink_pid:-0}" --top "${BENCH_TOP:-0}" | sed "s/^/            /"
  fi
}

echo "deskgate intake benchmark, mail mix of $n mails (tests/bench/intake/gen_mix.py)"
echo "PostgreSQL: $durability; SQLite: WAL, synchronous=FULL; $(nproc) cores; $( [ "${BENCH_SEND:-1}" = 0 ] && echo 'SMTP unreachable' || echo "answers to smtp-sink")"
for backend in ${BENCH_BACKENDS:-sqlite postgresql}; do
  case $backend in
    sqlite) run_one SQLite "sqlite:$work/bench.db" ;;
    postgresql)
      psql -X "$HD_PG_CONNINFO" -qc 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench' >/dev/null
      run_one PostgreSQL "postgresql://deskgate:deskgate@127.0.0.1:$HD_PG_PORT/bench" ;;
  esac
  if [ -z "${mixline:-}" ]; then mixline=$(cat "$work/mix.txt"); echo "            mix: $mixline"; fi
done
