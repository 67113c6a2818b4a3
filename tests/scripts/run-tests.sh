#!/usr/bin/env bash
# Runs deskgate's whole test suite on a Debian 12 machine, as root:
#   1. installs the Debian packages (tests/scripts/install-deps.sh),
#   2. configures and builds everything into build/ (RelWithDebInfo, -j2),
#   3. runs ctest --output-on-failure; the `servers` fixture starts and stops the private
#      Dovecot, Postfix and PostgreSQL test servers (tests/scripts/start-servers.sh) around the
#      integration and PostgreSQL tests.
# Arguments are passed to ctest, e.g. `run-tests.sh -L unit` or `run-tests.sh -R servers`.
#
# Environment: HD_BUILD_DIR [build], HD_BUILD_TYPE [RelWithDebInfo], HD_JOBS [2],
# HD_CTEST_JOBS [1], HD_SKIP_DEPS=1 (don't run install-deps.sh), HD_CMAKE_ARGS (extra cmake
# arguments, e.g. "-DDESKGATE_SANITIZE=ON"), and the HD_*_PORT variables of start-servers.sh.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${HD_BUILD_DIR:-$root/build}
case "$build" in /*) ;; *) build=$root/$build ;; esac
build_type=${HD_BUILD_TYPE:-RelWithDebInfo}
jobs=${HD_JOBS:-2}
ctest_jobs=${HD_CTEST_JOBS:-1}
log_dir=$build/test-logs
t_start=$SECONDS

step() { printf '\n==== run-tests: %s\n' "$*"; }
summary() {
  local result=$1
  printf '\n==== run-tests summary ========================================\n'
  printf '  deps:      %s\n' "${deps_result:-skipped}"
  printf '  configure: %s\n' "${configure_result:-not run}"
  printf '  build:     %s\n' "${build_result:-not run}"
  printf '  tests:     %s\n' "${tests_result:-not run}"
  [ -n "${failed_tests:-}" ] && printf '  failed:\n%s\n' "$failed_tests"
  printf '  logs:      %s\n' "$log_dir"
  printf '  time:      %ss\n' "$((SECONDS - t_start))"
  printf '  RESULT:    %s\n' "$result"
  printf '================================================================\n'
}
fail() { summary "FAILED ($1)"; exit 1; }

mkdir -p "$log_dir" || { echo "run-tests: cannot create $log_dir" >&2; exit 1; }

if [ "${HD_SKIP_DEPS:-0}" != 1 ]; then
  step "installing Debian packages (install-deps.sh)"
  t=$SECONDS
  if "$root/tests/scripts/install-deps.sh" 2>&1 | tee "$log_dir/install-deps.log"; then
    deps_result="ok ($((SECONDS - t))s)"
  else
    deps_result="FAILED, see $log_dir/install-deps.log"
    fail "install-deps"
  fi
fi

step "configuring $build ($build_type)"
t=$SECONDS
# shellcheck disable=SC2086  # HD_CMAKE_ARGS is a list of words on purpose
if cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$build_type" ${HD_CMAKE_ARGS:-} \
    >"$log_dir/configure.log" 2>&1; then
  configure_result="ok ($((SECONDS - t))s)"
else
  tail -n 40 "$log_dir/configure.log"
  configure_result="FAILED, see $log_dir/configure.log"
  fail "configure"
fi

step "building with -j$jobs"
t=$SECONDS
cmake --build "$build" -j "$jobs" 2>&1 | tee "$log_dir/build.log"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
  warnings=$(grep -c 'warning:' "$log_dir/build.log" || true)
  build_result="ok ($((SECONDS - t))s, $warnings compiler warnings)"
else
  grep -E -A5 'error:|Error [0-9]' "$log_dir/build.log" | head -n 80
  build_result="FAILED, see $log_dir/build.log"
  fail "build"
fi

step "running ctest --output-on-failure -j$ctest_jobs $*"
t=$SECONDS
(cd "$build" && ctest --output-on-failure --no-tests=error -j "$ctest_jobs" "$@") 2>&1 | tee "$log_dir/ctest.log"
rc=${PIPESTATUS[0]}
totals=$(grep -E 'tests passed|tests failed' "$log_dir/ctest.log" | tail -n 1)
if [ "$rc" -eq 0 ]; then
  tests_result="ok ($((SECONDS - t))s): ${totals:-?}"
  summary "PASSED"
  exit 0
fi
tests_result="FAILED ($((SECONDS - t))s): ${totals:-ctest exit $rc}"
failed_tests=$(sed -n '/The following tests FAILED:/,$p' "$log_dir/ctest.log" | grep -E '^\s+[0-9]+ - ' || true)
fail "tests"
