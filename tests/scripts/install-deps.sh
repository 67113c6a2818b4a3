#!/usr/bin/env bash
# Installs every Debian package deskgate needs to build, test and run its local servers.
# Idempotent; safe to run on a fresh Debian 12 machine as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

pkgs=(
  build-essential cmake pkg-config git ca-certificates openssl curl
  libcurl4-openssl-dev libmimetic-dev libboost-dev libboost-system-dev
  libsoci-dev libpq-dev libsqlite3-dev sqlite3
  libyaml-cpp-dev doctest-dev libre2-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libkainjow-mustache-dev libgumbo-dev libuchardet-dev
  libhowardhinnant-date-dev tzdata
  postgresql postgresql-client
  dovecot-core dovecot-imapd dovecot-lmtpd
  postfix
  python3 clang-14 libclang-rt-14-dev
  chromium
  libsystemd-dev                     # sd_notify and the journal sink (issue 13)
  python3-prometheus-client          # the metrics test reads the exposition with the reference parser
  help2man man-db                    # deskgate(8) from --help; the package test runs man -w
  systemd dpkg-dev file              # systemd-analyze verify; dpkg-shlibdeps and file for cpack -G DEB
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  # Postfix asks questions at install time; answer them up front.
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The distribution's own daemons are not used: the tests and the demo start private instances.
for svc in postfix dovecot postgresql; do
  service "$svc" stop >/dev/null 2>&1 || true
done
echo "install-deps: all packages present"
