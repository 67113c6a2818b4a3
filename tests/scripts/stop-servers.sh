#!/usr/bin/env bash
# Stops the test servers that start-servers.sh started in $HD_BASE, by pid (never by name).
# Leaves $HD_BASE in place (logs stay readable); start-servers.sh wipes it on the next start.
# An exited server may linger as a zombie for a few seconds here (PID 1 reaps lazily): state Z
# counts as gone.
set -uo pipefail

HD_BASE=${HD_BASE:-/tmp/deskgate-test-servers}
TIMEOUT=${HD_STOP_TIMEOUT:-15}

log() { printf 'stop-servers: %s\n' "$*" >&2; }

if [ ! -f "$HD_BASE/.hd-test-base" ]; then
  log "$HD_BASE is not a test-server base (no .hd-test-base); nothing to stop"
  exit 0
fi

# alive PID: running and not a zombie
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# pid_of FILE EXPECTED_COMM: the pid in FILE's first line if that process is the expected program
pid_of() {
  local pid comm
  [ -f "$1" ] || return 1
  pid=$(head -n 1 "$1" | tr -dc 0-9)
  [ -n "$pid" ] && alive "$pid" || return 1
  comm=$(cat "/proc/$pid/comm" 2>/dev/null)
  [ "$comm" = "$2" ] || return 1
  echo "$pid"
}

declare -A pids=()
p=$(pid_of "$HD_BASE/dovecot/run/master.pid" dovecot) && { pids[dovecot]=$p; kill -TERM "$p"; }
p=$(pid_of "$HD_BASE/postfix/queue/pid/master.pid" master) && { pids[postfix]=$p; kill -TERM "$p"; }
# PostgreSQL: SIGINT = fast shutdown (SIGTERM would wait for every client to disconnect).
p=$(pid_of "$HD_BASE/pg/data/postmaster.pid" postgres) && { pids[postgresql]=$p; kill -INT "$p"; }

rc=0
deadline=$((SECONDS + TIMEOUT))
for name in "${!pids[@]}"; do
  pid=${pids[$name]}
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  if alive "$pid"; then
    log "$name (pid $pid) did not stop within ${TIMEOUT}s; killing its process group"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    rc=1
  fi
done
stopped="${!pids[*]}"
echo "stop-servers: stopped ${stopped:-nothing (none running)} in $HD_BASE"
exit $rc
