#!/usr/bin/env bash
# deskgate in five minutes, on a fresh Debian 12 machine, as root:
#   installs the packages, builds deskgate, starts private Dovecot + Postfix (+ PostgreSQL, unused
#   here) with demo accounts, writes a demo configuration on SQLite and runs `deskgate run` in the
#   foreground (Ctrl-C stops it and the servers), after printing how to write to the help desk and
#   how to read its answer.
#
#   demo.sh            the above
#   demo.sh --smoke    non-interactive check: runs deskgate in the background, sends one customer
#                      mail, waits for the acknowledgement in alice's INBOX, lists the tickets,
#                      stops everything; exit 0 only if the acknowledgement arrived
#   demo.sh --stop     stops a demo left running (HD_DEMO_KEEP=1)
#
# Environment: HD_DEMO_DIR [/tmp/deskgate-demo], HD_BUILD_DIR [build], HD_SKIP_DEPS=1, HD_SKIP_BUILD=1,
# HD_DEMO_KEEP=1 (leave the servers running after deskgate stops). The demo uses its own ports
# (IMAP 11143, IMAPS 11993, LMTP 11024, SMTP 11025, SASL 11026, PostgreSQL 55329) so that it can
# run next to the test suite's servers (10143, ...).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
demo=${HD_DEMO_DIR:-/tmp/deskgate-demo}
build=${HD_BUILD_DIR:-$root/build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
deskgate=$build/daemon/deskgate
mode=${1:-run}

export HD_BASE=$demo/servers
export HD_IMAP_PORT=${HD_DEMO_IMAP_PORT:-11143} HD_IMAPS_PORT=${HD_DEMO_IMAPS_PORT:-11993}
export HD_LMTP_PORT=${HD_DEMO_LMTP_PORT:-11024} HD_SMTP_PORT=${HD_DEMO_SMTP_PORT:-11025}
export HD_SASL_PORT=${HD_DEMO_SASL_PORT:-11026} HD_PG_PORT=${HD_DEMO_PG_PORT:-55329}

say() { printf '\n==== demo: %s\n' "$*"; }

stop_all() {
  if [ -f "$demo/deskgate.pid" ]; then
    local pid
    pid=$(cat "$demo/deskgate.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$demo/deskgate.pid"
  fi
  "$root/tests/scripts/stop-servers.sh" || true
}

if [ "$mode" = --stop ]; then
  stop_all
  exit 0
fi
case "$mode" in run | --smoke) ;; *) echo "usage: $0 [--smoke | --stop]" >&2; exit 2 ;; esac

# ---- 1. packages and build ----------------------------------------------------------------------
if [ "${HD_SKIP_DEPS:-0}" != 1 ]; then
  say "installing Debian packages"
  "$root/tests/scripts/install-deps.sh"
fi
if [ "${HD_SKIP_BUILD:-0}" != 1 ]; then
  say "building deskgate into $build (a cold build takes several minutes on 2 cores)"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" --target deskgate -j "${HD_JOBS:-2}"
fi
[ -x "$deskgate" ] || { echo "demo: $deskgate was not built" >&2; exit 1; }

# ---- 2. servers -----------------------------------------------------------------------------------
say "starting Dovecot, Postfix and PostgreSQL in $HD_BASE"
mkdir -p "$demo"
[ -f "$demo/deskgate.pid" ] && stop_all
"$root/tests/scripts/start-servers.sh"
# shellcheck source=/dev/null
. "$HD_BASE/env.sh"

# ---- 3. configuration -----------------------------------------------------------------------------
# >>> write_demo_config: the demo's deskgate.yaml. Follows the format of etc/deskgate.yaml /
# daemon/config.cpp (owned by the daemon's authors): keep the two in step.
write_demo_config() {
  local cfg=$1
  printf '%s\n' "$HD_PASSWORD" >"$demo/support.password"
  chmod 600 "$demo/support.password"
  cat >"$cfg" <<EOF
# deskgate demo configuration, written by tests/scripts/demo.sh. Servers: $HD_BASE
database: sqlite:$demo/deskgate.db
identity:
  name: Demo Support
  address: support@helpdesk.test
  domain: helpdesk.test
  token: "[Ticket#{number}]"
mailboxes:
  - name: support
    url: imaps://localhost:$HD_IMAPS_PORT
    username: support@helpdesk.test
    password_file: $demo/support.password
    address: support@helpdesk.test
    folder: INBOX
    after_ingest: flag
    poll_interval: 5s
    ca_file: $HD_CA_FILE
smtp:
  url: smtp://127.0.0.1:$HD_SMTP_PORT/helpdesk.test
agents:
  # the names etc/rules/teams.yaml uses
  - name: anna
    address: agent1@helpdesk.test
    teams: [first-level]
  - name: ben
    address: agent2@helpdesk.test
    teams: [first-level]
  - name: carla
    address: supervisor@helpdesk.test
    teams: [second-level]
# Agents are proven: by the reply key of the notification they answer, or by the local
# Postfix, which vouches (Authentication-Results) for senders that log in.
agent_mail:
  trusted_servers: [mx.helpdesk.test, imap.helpdesk.test]
rules: $root/etc/rules
templates: $root/etc/templates
language: en
EOF
}
# <<< write_demo_config
cfg=$demo/deskgate.yaml
# Fresh servers have empty mailboxes: start with a fresh database too.
rm -f "$demo/deskgate.db" "$demo/deskgate.db-wal" "$demo/deskgate.db-shm" "$demo/deskgate.db-journal"
write_demo_config "$cfg"
say "configuration $cfg"
if ! "$deskgate" check --config "$cfg"; then
  echo "demo: the demo configuration does not pass 'deskgate check' (see above);" \
       "tests/scripts/demo.sh write_demo_config must follow etc/deskgate.yaml" >&2
  [ "${HD_DEMO_KEEP:-0}" = 1 ] || "$root/tests/scripts/stop-servers.sh"
  exit 1
fi

smtp="smtp://127.0.0.1:$HD_SMTP_PORT"
imap="imap://127.0.0.1:$HD_IMAP_PORT"
print_howto() {
  cat <<EOF

==== deskgate demo ================================================================
Accounts (password '$HD_PASSWORD'): support@, agent1@ (anna), agent2@ (ben), supervisor@
(carla) helpdesk.test; alice@, bob@, carol@customer.test. deskgate watches support@helpdesk.test
over IMAPS.

1. Write to the help desk as alice (over SMTP to the local Postfix):

   printf 'From: Alice <alice@customer.test>\\nTo: support@helpdesk.test\\nSubject: My printer is on fire\\n\\nPlease help!\\n' |
     curl -sS --url $smtp/customer.test --mail-from alice@customer.test \\
          --mail-rcpt support@helpdesk.test --upload-file - --crlf

2. Read alice's INBOX: the acknowledgement carries the ticket token in its subject.

   curl -sS --url '$imap/INBOX' -u alice@customer.test:$HD_PASSWORD -X 'UID SEARCH ALL'
   curl -sS --url '$imap/INBOX;UID=1' -u alice@customer.test:$HD_PASSWORD

   The assigned agent (anna, agent1@helpdesk.test) got a notification with Reply-To support@:

   curl -sS --url '$imap/INBOX;UID=1' -u agent1@helpdesk.test:$HD_PASSWORD

3. Answer as anna from "her mail client": a command at the top, then the text. alice gets the
   text from support@, signed "anna", without anna's address; the ticket's priority is high.
   anna logs in to the mail server (--user), which vouches for her; a mail client's "Reply" to
   the notification would prove her too (its In-Reply-To carries her reply key). The same mail
   without either is an outsider's: nothing changes, and anna is told.

   printf 'From: Anna <agent1@helpdesk.test>\nTo: support@helpdesk.test\nSubject: Re: [Ticket#1001] My printer is on fire\n\n#priority high\n\nPlease unplug it and step back.\n' |
     curl -sS --url $smtp/helpdesk.test --mail-from agent1@helpdesk.test --user agent1@helpdesk.test:$HD_PASSWORD \\
          --mail-rcpt support@helpdesk.test --upload-file - --crlf

   Then '#resolve' the same way: alice gets the closing notice; her reply "5 - thanks" rates it.

4. The tickets:

   $deskgate tickets list --config $cfg
   $deskgate tickets show 1001 --config $cfg

Log: $demo/deskgate.log    Stop: Ctrl-C (stops the servers too, unless HD_DEMO_KEEP=1)
===================================================================================
EOF
}

# ---- 4. run -------------------------------------------------------------------------------------
if [ "$mode" = --smoke ]; then
  say "smoke run: deskgate in the background"
  "$deskgate" run --config "$cfg" >"$demo/deskgate.log" 2>&1 &
  echo $! >"$demo/deskgate.pid"
  trap stop_all EXIT
  # Intake starts at the folder's UIDNEXT on a first start (first_start: new_only): write only
  # once the daemon watches the mailbox.
  for _ in $(seq 100); do grep -q 'watching mailbox=support' "$demo/deskgate.log" && break; sleep 0.2; done
  subject="demo smoke $(date +%s)"
  printf 'From: Alice <alice@customer.test>\nTo: support@helpdesk.test\nSubject: %s\nMessage-ID: <demo-%s@customer.test>\n\nPlease help!\n' \
    "$subject" "$$" |
    curl -sS --url "$smtp/customer.test" --mail-from alice@customer.test \
      --mail-rcpt support@helpdesk.test --upload-file - --crlf
  ok=0
  for _ in $(seq 60); do
    uids=$(curl -sS --url "$imap/INBOX" -u "alice@customer.test:$HD_PASSWORD" -X 'UID SEARCH ALL' |
             sed -n 's/^\* SEARCH//p' | tr -d '\r')
    for uid in $uids; do
      if curl -sS --url "$imap/INBOX;UID=$uid;SECTION=HEADER.FIELDS%20(SUBJECT)" \
           -u "alice@customer.test:$HD_PASSWORD" | grep -q 'Ticket#'; then
        ok=1
        echo "acknowledgement in alice's INBOX (UID $uid):"
        curl -sS --url "$imap/INBOX;UID=$uid" -u "alice@customer.test:$HD_PASSWORD" | sed -n '1,/^\r\?$/p'
        break 2
      fi
    done
    kill -0 "$(cat "$demo/deskgate.pid")" 2>/dev/null || { echo "demo: deskgate exited:" >&2; cat "$demo/deskgate.log" >&2; break; }
    sleep 1
  done
  # The assigned agent's notification (Reply-To: support@) in agent1's or agent2's INBOX.
  notified=0
  if [ "$ok" = 1 ]; then
    for _ in $(seq 30); do
      for agent in agent1@helpdesk.test agent2@helpdesk.test; do
        for uid in $(curl -sS --url "$imap/INBOX" -u "$agent:$HD_PASSWORD" -X 'UID SEARCH ALL' |
                       sed -n 's/^\* SEARCH//p' | tr -d '\r'); do
          if curl -sS --url "$imap/INBOX;UID=$uid;SECTION=HEADER.FIELDS%20(REPLY-TO)" -u "$agent:$HD_PASSWORD" |
               grep -q 'support@helpdesk.test'; then
            notified=1
            echo "agent notification in $agent's INBOX (UID $uid), Reply-To support@helpdesk.test"
            break 3
          fi
        done
      done
      sleep 1
    done
  fi
  "$deskgate" tickets list --config "$cfg" || true
  if [ "$ok" = 1 ] && [ "$notified" = 1 ]; then say "smoke run PASSED"; exit 0; fi
  [ "$ok" = 1 ] && { echo "demo: the acknowledgement came, but no agent notification within 30 s" >&2; exit 1; }
  echo "demo: no acknowledgement within 60 s; deskgate log:" >&2
  tail -n 40 "$demo/deskgate.log" >&2
  exit 1
fi

print_howto
on_exit() {
  if [ "${HD_DEMO_KEEP:-0}" = 1 ]; then
    echo "demo: servers left running (HD_DEMO_KEEP=1); stop them with $0 --stop"
  else
    "$root/tests/scripts/stop-servers.sh" || true
  fi
}
trap on_exit EXIT
say "deskgate run --config $cfg (Ctrl-C to stop)"
# In the background so that Ctrl-C (or a TERM to this script) becomes one clean SIGTERM for it.
# (tee ignores SIGINT: Ctrl-C reaches the whole terminal group, and deskgate must keep its stdout.)
"$deskgate" run --config "$cfg" > >(trap '' INT; exec tee "$demo/deskgate.log") 2>&1 &
dpid=$!
echo "$dpid" >"$demo/deskgate.pid"
trap 'echo; echo "demo: stopping deskgate"; kill -TERM "$dpid" 2>/dev/null || true' INT TERM
rc=0
wait "$dpid" || rc=$?
if kill -0 "$dpid" 2>/dev/null; then wait "$dpid" || rc=$?; fi
rm -f "$demo/deskgate.pid"
echo "demo: deskgate exited (status $rc)"
