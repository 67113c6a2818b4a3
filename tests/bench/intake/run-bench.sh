#!/usr/bin/env bash
# Intake rate of the real daemon: N customer mails are put into the support INBOX of the test
# Dovecot (Maildir drop, before deskgate starts), then `deskgate run` takes them in over IMAP,
# opens N tickets and queues N acknowledgements and N agent notifications (the customer's mail
# attached); the clock runs from the daemon's start until
# the last ticket is committed. Once on SQLite, once on PostgreSQL.
#
#   tests/bench/intake/run-bench.sh [N]        (default 500; needs a built build/daemon/deskgate)
#   BENCH_SEND=0 tests/bench/intake/run-bench.sh [N]   the same with SMTP unreachable (intake alone)
#
# Uses its own server ports (13xxx; BENCH_IMAP_PORT, BENCH_PG_PORT ... override them) and base
# dir, so it can run next to the test suite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
n=${1:-500}
deskgate=${HD_BUILD_DIR:-$root/build}/daemon/deskgate
work=$(mktemp -d /tmp/deskgate-bench-intake.XXXXXX)
export HD_BASE=$work/servers HD_IMAP_PORT=${BENCH_IMAP_PORT:-13143} HD_IMAPS_PORT=${BENCH_IMAPS_PORT:-13993} \
       HD_LMTP_PORT=${BENCH_LMTP_PORT:-13024} HD_SMTP_PORT=${BENCH_SMTP_PORT:-13025} \
       HD_SASL_PORT=${BENCH_SASL_PORT:-13026} HD_PG_PORT=${BENCH_PG_PORT:-57329} \
       HD_SMTP_LIMITED_PORT=${BENCH_SMTP_LIMITED_PORT:-13027}
"$root/tests/scripts/start-servers.sh" >/dev/null
trap '"$root/tests/scripts/stop-servers.sh" >/dev/null 2>&1; rm -rf "$work"' EXIT
. "$HD_BASE/env.sh"

fill_inbox() {
  $HD_DOVEADM expunge -u support@helpdesk.test mailbox INBOX all
  $HD_DOVEADM mailbox status -u support@helpdesk.test messages INBOX >/dev/null
  local dir
  dir=$($HD_DOVEADM mailbox path -u support@helpdesk.test INBOX)
  local owner
  owner=$(stat -c %u:%g "$dir/new")
  for i in $(seq 1 "$n"); do
    printf 'From: Customer %d <c%d@customer.test>\r\nTo: support@helpdesk.test\r\nSubject: bench mail %d\r\nMessage-ID: <bench-%d-%d@customer.test>\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo, mein Drucker druckt nicht. Grüße\r\n' \
      "$i" "$i" "$i" "$i" "$RANDOM" >"$dir/tmp/bench.$i"
    mv "$dir/tmp/bench.$i" "$dir/new/$(date +%s).bench$i.$$"
  done
  chown -R "$owner" "$dir"
}

count() {
  case "$1" in
    sqlite:*) sqlite3 "${1#sqlite:}" 'SELECT COUNT(*) FROM tickets' 2>/dev/null || echo 0 ;;
    *) psql "$HD_PG_CONNINFO dbname=bench" -Atc 'SELECT COUNT(*) FROM tickets' 2>/dev/null || echo 0 ;;
  esac
}

# BENCH_SEND=0: SMTP unreachable, the answers stay queued — intake alone, without the outbox
# worker, Postfix and Dovecot delivering 2N mails on the same cores at the same time.
if [ "${BENCH_SEND:-1}" = 0 ]; then smtp_url=smtp://127.0.0.1:1; else smtp_url=$HD_SMTP_URL/helpdesk.test; fi

run_one() {
  local label=$1 db=$2
  fill_inbox
  printf '%s\n' "$HD_PASSWORD" >"$work/pw"
  cat >"$work/deskgate.yaml" <<YAML
database: $db
identity: { name: Bench, address: support@helpdesk.test }
mailboxes:
  - { name: support, url: $HD_IMAP_URL, username: support@helpdesk.test, password_file: $work/pw,
      address: support@helpdesk.test, poll_interval: 1s, batch_size: 100, first_start: { since: 1d } }
smtp: { url: "$smtp_url" }
agents:
  - { name: agent1, address: agent1@helpdesk.test }
  - { name: agent2, address: agent2@helpdesk.test }
templates: $root/etc/templates
YAML
  local start end
  start=$(date +%s.%N)
  "$deskgate" run --config "$work/deskgate.yaml" --log-level warn 2>"$work/$label.log" &
  local pid=$!
  until [ "$(count "$db")" -ge "$n" ]; do sleep 0.05; done
  end=$(date +%s.%N)
  kill -TERM "$pid"; wait "$pid" || true
  awk -v n="$n" -v s="$start" -v e="$end" -v l="$label" \
    'BEGIN { printf "%-11s %d mails -> %d tickets in %.2f s = %.0f mails/s (incl. daemon start)\n", l, n, n, e - s, n / (e - s) }'
}

echo "deskgate intake benchmark: $n mails, IMAP (Dovecot) -> tickets + queued acknowledgements + agent notifications" \
  "($([ "${BENCH_SEND:-1}" = 0 ] && echo 'SMTP unreachable: nothing sent meanwhile' || echo 'the outbox sends them meanwhile'))"
run_one SQLite "sqlite:$work/bench.db"
psql "$HD_PG_CONNINFO" -qc 'CREATE DATABASE bench' >/dev/null
run_one PostgreSQL "postgresql://deskgate:deskgate@127.0.0.1:$HD_PG_PORT/bench"
