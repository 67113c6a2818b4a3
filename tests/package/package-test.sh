#!/usr/bin/env bash
# Issue 13: the Debian package, end to end on this machine. Builds the .deb from the build tree
# (tests/scripts/build-deb.sh), installs it with `apt-get install ./deskgate_*.deb`, checks what
# an admin would (version, the deskgate user and /var/lib/deskgate, conffiles, `deskgate check`
# on the installed sample, the shipped templates and rules found from a configuration that names
# none, `systemd-analyze verify` on the unit, `man -w deskgate`, the bash completion), then purges
# it and checks nothing is left. Always purged again on the way out.
#
# Usage: package-test.sh BUILD_DIR INSTALL_PREFIX
# Exit 77 (ctest: skipped) when not root, without dpkg/apt-get, when the build's prefix is not
# /usr, or when a deskgate package is already installed here (an admin's: never touched).
set -uo pipefail

build=$(cd "$1" && pwd)
prefix=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

skip() { echo "package-test: SKIPPED: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (apt-get install)"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || skip "not a Debian system"
[ "$prefix" = /usr ] || skip "the build's CMAKE_INSTALL_PREFIX is $prefix, the package needs /usr"
if dpkg-query -W -f='${Status}' deskgate 2>/dev/null | grep -q 'ok installed\|config-files'; then
  skip "a deskgate package is already installed on this machine; it is left alone"
fi

work=$(mktemp -d /tmp/deskgate-package-test.XXXXXX)
failures=0
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq deskgate >/dev/null 2>&1 || dpkg --purge deskgate >/dev/null 2>&1
  fi
  rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "  ok: $*"; }
bad() { echo "  FAILED: $*"; failures=$((failures + 1)); }
check() {  # check DESCRIPTION COMMAND...: runs it, output in the log when it fails
  local what=$1
  shift
  if "$@" >"$work/out" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/    /' "$work/out"; fi
}

echo "== building the package"
t=$SECONDS
"$root/tests/scripts/build-deb.sh" "$build" "$work/deb" >"$work/build.log" 2>&1 || {
  cat "$work/build.log"; echo "package-test: building the package failed"; exit 1; }
deb=$(ls "$work"/deb/deskgate_*.deb)
echo "  $(basename "$deb"), $(du -h "$deb" | cut -f1), built in $((SECONDS - t))s"
depends=$(dpkg-deb -f "$deb" Depends)
echo "  Depends: $depends"
case "$depends" in *libcurl*) ok "Depends from dpkg-shlibdeps (libcurl among them)" ;; *) bad "Depends lacks the shared libraries: $depends" ;; esac
case "$depends" in *adduser*) ok "Depends on adduser (postinst)" ;; *) bad "Depends lacks adduser" ;; esac
dpkg-deb -e "$deb" "$work/control"
check "conffiles list /etc/deskgate/deskgate.yaml" grep -qx /etc/deskgate/deskgate.yaml "$work/control/conffiles"

echo "== apt-get install ./$(basename "$deb")"
installed=1
cp "$deb" "$work/"
if ! (cd "$work" && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$(basename "$deb")") >"$work/apt.log" 2>&1; then
  cat "$work/apt.log"; echo "package-test: apt-get install failed"; exit 1
fi
ok "installed"

check "deskgate --version" sh -c '/usr/bin/deskgate --version | grep -qx "deskgate [0-9.]*"'
check "the deskgate system user exists" id deskgate
check "/var/lib/deskgate is owned by deskgate" sh -c '[ "$(stat -c %U:%a /var/lib/deskgate)" = deskgate:750 ]'
check "/etc/deskgate/deskgate.yaml is root:deskgate 640" sh -c '[ "$(stat -c %U:%G:%a /etc/deskgate/deskgate.yaml)" = root:deskgate:640 ]'
check "shipped templates in /usr/share/deskgate/templates/{en,de}" \
  test -f /usr/share/deskgate/templates/en/acknowledgement.mustache -a -f /usr/share/deskgate/templates/de/resolved.mustache
check "shipped default rules in /usr/share/deskgate/rules" test -f /usr/share/deskgate/rules/routing.yaml
check "example rules in /usr/share/doc/deskgate/examples" test -f /usr/share/doc/deskgate/examples/rules/teams.yaml
check "copyright file" test -f /usr/share/doc/deskgate/copyright

# The installed sample, as the daemon's user would read it, with its ${VAR}s set.
check "deskgate check on the installed sample" env DESKGATE_IMAP_PASSWORD=x DESKGATE_SMTP_PASSWORD=y \
  setpriv --reuid=deskgate --regid=deskgate --init-groups /usr/bin/deskgate check --config /etc/deskgate/deskgate.yaml
grep -q "routing rules from /usr/share/deskgate/rules" "$work/out" && ok "  ... with the shipped default rules" \
  || { bad "the sample did not use the shipped rules"; cat "$work/out"; }

# A minimal configuration that names no templates and no rules, in a directory of its own.
mkdir -p "$work/minimal"
cat >"$work/minimal/deskgate.yaml" <<'YAML'
database: sqlite:/var/lib/deskgate/deskgate.db
mailboxes:
  - { name: support, url: "imaps://mail.example.com", username: support, password: x, address: support@example.com }
smtp: { url: "smtp://mail.example.com:587" }
agents:
  - { name: zoe, address: zoe@example.com }
YAML
check "a minimal configuration (no templates:, no rules:) passes" /usr/bin/deskgate check --config "$work/minimal/deskgate.yaml"
grep -q "templates /usr/share/deskgate/templates)" "$work/out" && ok "  ... with the shipped templates" \
  || { bad "the minimal configuration did not find the shipped templates"; cat "$work/out"; }
mkdir -p "$work/minimal/templates/de"
printf 'Subject: {{token}} Eingang\n\nDanke.\n' >"$work/minimal/templates/de/acknowledgement.mustache"
check "one template of the admin's overrides the shipped one" /usr/bin/deskgate check --config "$work/minimal/deskgate.yaml"
grep -q "templates /usr/share/deskgate/templates + $work/minimal/templates)" "$work/out" && ok "  ... layered over the shipped set" \
  || { bad "the override directory was not used"; cat "$work/out"; }

check "systemd-analyze verify deskgate.service" systemd-analyze verify /usr/lib/systemd/system/deskgate.service
check "the unit is Type=notify with the hardening" sh -c 'u=/usr/lib/systemd/system/deskgate.service;
  for l in Type=notify User=deskgate WatchdogSec= ProtectSystem=strict ReadWritePaths=/var/lib/deskgate \
           NoNewPrivileges=yes PrivateTmp=yes ProtectHome=yes "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" \
           "CapabilityBoundingSet=" "ExecReload=/bin/kill -HUP \$MAINPID"; do
    grep -qx "$l.*" "$u" || { echo "missing: $l"; exit 1; }; done'
check "man -w deskgate" man -w deskgate
check "deskgate(8) describes status and its exit codes" sh -c 'MANWIDTH=200 man -P cat deskgate 2>/dev/null | tr -s " \n" "  " | grep -q "2 database unreachable"'

comp=/usr/share/bash-completion/completions/deskgate
check "bash completion installed and valid bash" bash -n "$comp"
check "the completion knows every sub-command and option of --help" bash -c '
  comp='"$comp"'
  for cmd in $(/usr/bin/deskgate --help | sed -n "/^Subcommands:/,\$p" | awk "NR>1 && NF {print \$1}"); do
    grep -q "\\b$cmd\\b" "$comp" || { echo "sub-command $cmd missing"; exit 1; }
    for opt in $(/usr/bin/deskgate $cmd --help | grep -oE -- "--[a-z][a-z-]+" | sort -u); do
      grep -q -- "$opt" "$comp" || { echo "option $opt of $cmd missing"; exit 1; }
    done
  done'

echo "== apt-get purge deskgate"
if DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq deskgate >"$work/purge.log" 2>&1; then
  installed=0
  ok "purged"
else
  cat "$work/purge.log"; bad "apt-get purge failed"
fi
check "nothing is left: binary, /etc/deskgate, /usr/share/deskgate, /var/lib/deskgate, the unit" sh -c '
  for p in /usr/bin/deskgate /etc/deskgate /usr/share/deskgate /var/lib/deskgate /usr/share/doc/deskgate \
           /usr/lib/systemd/system/deskgate.service; do [ ! -e "$p" ] || { echo "left: $p"; exit 1; }; done'
check "dpkg knows no deskgate any more" sh -c '! dpkg-query -W -f="\${Status}" deskgate 2>/dev/null | grep -q installed'

if [ "$failures" -gt 0 ]; then
  echo "package-test: $failures checks FAILED"
  exit 1
fi
echo "package-test: all checks passed"
