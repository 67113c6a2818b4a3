#!/usr/bin/env bash
# A big folder taken in from the first start (issue 12): N small messages are written straight
# into a Maildir folder of the test Dovecot, then the real daemon starts on it with
# first_start: new_only (how long until it watches; nothing imported) and with first_start: all
# (every message a ticket, nothing sent). Runs the integration test case `big-folder` at size N
# and prints its timings.
#
#   HD_BASE=/tmp/deskgate-test-servers tests/bench/big_folder/run-bench.sh [N]   (default 200000)
#
# Needs the test servers running at HD_BASE (tests/scripts/start-servers.sh) and a built
# build/tests/integration_tests. SQLite.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
n=${1:-200000}
: "${HD_BASE:?set HD_BASE to the running test servers (tests/scripts/start-servers.sh)}"
start=$(date +%s)
HD_BIG_FOLDER=$n "${HD_BUILD_DIR:-$root/build}/tests/integration_tests" -ts=big-folder -s 2>&1 |
  grep -E 'MESSAGE|test cases|assertions'
echo "total $(( $(date +%s) - start )) s for N=$n"
