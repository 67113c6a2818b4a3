#!/usr/bin/env bash
# Starts private test servers for deskgate, from nothing, as root, all on 127.0.0.1:
#   - a test CA and a server certificate (EC P-256, SAN localhost + 127.0.0.1)   $HD_BASE/tls/
#   - Dovecot: IMAP, IMAPS, LMTP, SASL for Postfix; passwd-file accounts       $HD_BASE/dovecot/
#   - Postfix: SMTP on 127.0.0.1, delivering into Dovecot over LMTP            $HD_BASE/postfix/
#   - PostgreSQL: role/db deskgate/deskgate, password deskgate                  $HD_BASE/pg/
# and writes $HD_BASE/env.sh for scripts and tests (`. $HD_BASE/env.sh`).
#
# Environment (defaults in brackets): HD_BASE [/tmp/deskgate-test-servers], HD_IMAP_PORT [10143],
# HD_IMAPS_PORT [10993], HD_LMTP_PORT [10024], HD_SMTP_PORT [10025], HD_SASL_PORT [10026],
# HD_PG_PORT [54329], HD_PASSWORD [secret], HD_SMTP_LIMITED_PORT [HD_SMTP_PORT + 2],
# HD_SMTP_LIMITED_SIZE [10240000]. Different ports and base = a second, independent set.
#
# Recipes and the traps behind each odd line: ../shared/notes/test-servers.md (sections 5, 6, 9, 10).
set -euo pipefail

HD_BASE=${HD_BASE:-/tmp/deskgate-test-servers}
HD_IMAP_PORT=${HD_IMAP_PORT:-10143}
HD_IMAPS_PORT=${HD_IMAPS_PORT:-10993}
HD_LMTP_PORT=${HD_LMTP_PORT:-10024}
HD_SMTP_PORT=${HD_SMTP_PORT:-10025}
HD_SASL_PORT=${HD_SASL_PORT:-10026}
HD_PG_PORT=${HD_PG_PORT:-54329}
# A second Postfix listener that takes mail only up to this size (Postfix's default limit, which
# many relays keep), for tests of mail over a relay's limit; the main one takes 50 MB.
HD_SMTP_LIMITED_PORT=${HD_SMTP_LIMITED_PORT:-$((HD_SMTP_PORT + 2))}
HD_SMTP_LIMITED_SIZE=${HD_SMTP_LIMITED_SIZE:-10240000}
HD_PASSWORD=${HD_PASSWORD:-secret}

ACCOUNTS=(support@helpdesk.test agent1@helpdesk.test agent2@helpdesk.test supervisor@helpdesk.test
          alice@customer.test bob@customer.test carol@customer.test prefixed@helpdesk.test)
# prefixed@ keeps its folders as Courier and Cyrus do (issue 15): under the personal prefix
# "INBOX." with separator "." (Dovecot's per-user namespace settings, from the userdb).
PREFIXED_ACCOUNT=prefixed@helpdesk.test
PREFIXED_FIELDS="userdb_namespace/inbox/prefix=INBOX. userdb_namespace/inbox/separator=."
MARKER=.hd-test-base
VMAIL_ID=5000
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
t0=$(date +%s%N)

log() { printf 'start-servers: %s\n' "$*" >&2; }
# step timings, kept in $HD_BASE/start-times.log (HD_TRACE=1 also prints them)
marks=""
mark() {
  local ms=$((($(date +%s%N) - t0) / 1000000))
  marks+="$(printf '%6d ms  %s' "$ms" "$1")"$'\n'
  [ "${HD_TRACE:-0}" != 1 ] || printf 'start-servers: %6d ms  %s\n' "$ms" "$1" >&2
}
die() { log "ERROR: $*"; exit 1; }

umask 022
[ "$(id -u)" -eq 0 ] || die "must run as root (servers drop privileges themselves)"
case "$HD_BASE" in /*) ;; *) die "HD_BASE must be an absolute path: $HD_BASE" ;; esac
case "$HD_BASE" in *[[:space:]]*) die "HD_BASE must not contain white space: $HD_BASE" ;; esac
[ "$HD_BASE" != / ] || die "HD_BASE=/ refused"
for p in HD_IMAP_PORT HD_IMAPS_PORT HD_LMTP_PORT HD_SMTP_PORT HD_SASL_PORT HD_PG_PORT HD_SMTP_LIMITED_PORT; do
  [[ ${!p} =~ ^[0-9]+$ ]] || die "$p must be a port number, got '${!p}'"
done
[[ $HD_SMTP_LIMITED_SIZE =~ ^[0-9]+$ ]] || die "HD_SMTP_LIMITED_SIZE must be a number of bytes, got '$HD_SMTP_LIMITED_SIZE'"

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL server binaries not found (run tests/scripts/install-deps.sh)"
POSTFIX_MASTER=/usr/lib/postfix/sbin/master
[ -x "$POSTFIX_MASTER" ] || die "Postfix not installed (run tests/scripts/install-deps.sh)"
command -v dovecot >/dev/null || die "Dovecot not installed (run tests/scripts/install-deps.sh)"

# ---- 1. the base directory: stop a running set of this base, wipe only what we created ----------
if [ -L "$HD_BASE" ]; then
  # a base that had to live in /tmp (see below): $HD_BASE is a symlink to it
  target=$(readlink -f "$HD_BASE" || true)
  if [ -n "$target" ] && [ -f "$target/$MARKER" ]; then
    HD_BASE="$target" "$here/stop-servers.sh" >/dev/null
    rm -rf "$target"
  elif [ -n "$target" ] && [ -e "$target" ]; then
    die "$HD_BASE is a symlink to $target, which was not created by this script; refusing to touch it"
  fi
  rm -f "$HD_BASE"
elif [ -e "$HD_BASE" ]; then
  if [ -f "$HD_BASE/$MARKER" ]; then
    HD_BASE="$HD_BASE" "$here/stop-servers.sh" >/dev/null
    rm -rf "$HD_BASE"
  elif [ -d "$HD_BASE" ] && [ -z "$(ls -A "$HD_BASE")" ]; then
    rmdir "$HD_BASE"
  else
    die "$HD_BASE exists, is not empty and was not created by this script (no $MARKER); refusing to wipe it"
  fi
fi

# Runs a server's start command with stdin from /dev/null, stdout+stderr appended to a file and
# every other inherited descriptor closed. Daemons keep what they inherit, and a test runner
# (ctest) waits for EOF on the test's output pipe until its last holder exits: without this,
# ctest hangs after servers_start until the servers stop.
detached() {
  local out=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null
    done
    exec "$@" </dev/null >>"$out" 2>&1
  )
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in HD_IMAP_PORT HD_IMAPS_PORT HD_LMTP_PORT HD_SMTP_PORT HD_SASL_PORT HD_PG_PORT HD_SMTP_LIMITED_PORT; do
  port_busy "${!p}" && die "port ${!p} ($p) is already in use on 127.0.0.1; choose other ports"
done

# The servers drop privileges (vmail, postfix, postgres), so every directory above the base must
# be searchable by others, and Unix socket paths below it must stay short (< 108 bytes). When not
# (a clone in /root, a deep build directory), the servers live in /tmp and $HD_BASE becomes a
# symlink to that directory; from here on HD_BASE names the real directory.
base_unfit() {
  [ ${#HD_BASE} -le 64 ] || return 0
  local d perm
  d=$(dirname "$HD_BASE")
  while [ "$d" != / ]; do
    if [ -e "$d" ]; then
      perm=$(stat -L -c %A "$d")
      case ${perm:9:1} in x | t) ;; *) return 0 ;; esac
    fi
    d=$(dirname "$d")
  done
  return 1
}
if base_unfit; then
  real=$(mktemp -d /tmp/deskgate-servers.XXXXXX)
  mkdir -p "$(dirname "$HD_BASE")"
  ln -s "$real" "$HD_BASE"
  log "$HD_BASE is not reachable by the servers' users (or too long): servers live in $real"
  HD_BASE=$real
else
  mkdir -p "$HD_BASE"
fi
chmod 755 "$HD_BASE"
touch "$HD_BASE/$MARKER"

# From here on, a failure stops whatever has been started.
started=0
cleanup_on_failure() {
  local rc=$?
  if [ "$started" -eq 0 ] && [ "$rc" -ne 0 ]; then
    log "failed (exit $rc); stopping what was started. Logs: $HD_BASE/{dovecot/dovecot.log,postfix/maillog,pg/postgres.log}"
    HD_BASE="$HD_BASE" "$here/stop-servers.sh" >&2 || true
  fi
}
trap cleanup_on_failure EXIT

# ---- 2. the mail user (uid/gid 5000) ------------------------------------------------------------
getent group $VMAIL_ID >/dev/null || groupadd -g $VMAIL_ID vmail
getent passwd $VMAIL_ID >/dev/null ||
  useradd -u $VMAIL_ID -g $VMAIL_ID -d /nonexistent -M -s /usr/sbin/nologin vmail

mark "base ready"
# ---- 3. TLS: test CA + server certificate (EC P-256), and an unrelated CA for negative tests --
tls=$HD_BASE/tls
mkdir -p "$tls"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$tls/ca.key" -out "$tls/ca.pem" -days 30 \
  -subj "/O=deskgate tests/CN=deskgate test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new "${ec[@]}" -keyout "$tls/server.key" -out "$tls/server.csr" \
  -subj "/O=deskgate tests/CN=localhost" 2>/dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
  "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$tls/server.ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -set_serial 0x$(openssl rand -hex 8) \
  -days 30 -extfile "$tls/server.ext" -out "$tls/server.crt" 2>/dev/null
openssl req -x509 "${ec[@]}" -keyout "$tls/wrong-ca.key" -out "$tls/wrong-ca.pem" -days 30 \
  -subj "/O=deskgate tests/CN=unrelated CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
chmod 600 "$tls"/*.key
chmod 644 "$tls"/*.pem "$tls/server.crt"

mark "tls"
# ---- 4. Dovecot ---------------------------------------------------------------------------------
dv=$HD_BASE/dovecot
mkdir -p "$dv/run" "$dv/state" "$HD_BASE/mail"
chown $VMAIL_ID:$VMAIL_ID "$HD_BASE/mail"
: >"$dv/users"
for a in "${ACCOUNTS[@]}"; do
  fields=""
  [ "$a" = "$PREFIXED_ACCOUNT" ] && fields=$PREFIXED_FIELDS
  printf '%s:{PLAIN}%s::::::%s\n' "$a" "$HD_PASSWORD" "$fields" >>"$dv/users"
done
chmod 640 "$dv/users"
chgrp dovecot "$dv/users" 2>/dev/null || true
cat >"$dv/dovecot.conf" <<EOF
# Generated by tests/scripts/start-servers.sh: loopback-only Dovecot for deskgate's tests.
instance_name = hd-dovecot-$HD_IMAP_PORT
base_dir = $dv/run
state_dir = $dv/state
protocols = imap lmtp
# the name it writes in the "by" of its Received lines (LMTP delivery), as a real host would
hostname = imap.helpdesk.test
listen = 127.0.0.1
log_path = $dv/dovecot.log
shutdown_clients = yes

ssl = yes
ssl_cert = <$tls/server.crt
ssl_key = <$tls/server.key
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
# Tests log in with wrong passwords on purpose: no 2 s failure delay and no per-IP auth penalty
# (which would slow every later login from 127.0.0.1 by 2..15 s).
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}

first_valid_uid = $VMAIL_ID
last_valid_uid = $VMAIL_ID
first_valid_gid = $VMAIL_ID
last_valid_gid = $VMAIL_ID
mail_location = maildir:$HD_BASE/mail/%d/%n/Maildir
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dv/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dv/users
  default_fields = uid=$VMAIL_ID gid=$VMAIL_ID home=$HD_BASE/mail/%d/%n
}

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $HD_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $HD_IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $HD_LMTP_PORT
  }
}
# SASL for Postfix (smtpd_sasl_type = dovecot) over TCP: no socket inside Postfix's queue dir.
service auth {
  inet_listener {
    address = 127.0.0.1
    port = $HD_SASL_PORT
  }
}
protocol lmtp {
  postmaster_address = postmaster@helpdesk.test
}
EOF
detached "$dv/start.out" dovecot -c "$dv/dovecot.conf" ||
  { cat "$dv/start.out" >&2; die "Dovecot did not start"; }

mark "dovecot started"
# ---- 5. Postfix (master -w directly; see notes §6 for the mtime and queue-dir tricks) -----------
pf=$HD_BASE/postfix
mkdir -p "$pf/conf" "$pf/queue" "$pf/data"
chown postfix:root "$pf/data"; chmod 700 "$pf/data"
q=$pf/queue
install -d -o postfix -g root -m 700 "$q"/{active,bounce,corrupt,defer,deferred,flush,hold,incoming,private,saved,trace}
install -d -o postfix -g postdrop -m 730 "$q/maildrop"
install -d -o postfix -g postdrop -m 710 "$q/public"
install -d -o root -g root -m 755 "$q/pid"
: >"$pf/conf/vmailbox"
for a in "${ACCOUNTS[@]}"; do printf '%s OK\n' "$a" >>"$pf/conf/vmailbox"; done
# Like a production MTA with a DKIM/SPF milter, this one vouches for what it checked, in an
# Authentication-Results field above its own Received line (RFC 8601): here, that an SMTP client
# logged in (SASL) as the sender. It does NOT remove fields with its authserv-id that arrive
# with a mail (a production MTA must, RFC 8601 §5; Postfix's header_checks would also remove its
# own PREPENDed field): the tests show that deskgate ignores them anyway, by their position.
: >"$pf/conf/sasl_vouch"
for a in "${ACCOUNTS[@]}"; do
  printf '%s PREPEND Authentication-Results: mx.helpdesk.test; auth=pass smtp.auth=%s\n' "$a" "$a" >>"$pf/conf/sasl_vouch"
done

cat >"$pf/conf/main.cf" <<EOF
# Generated by tests/scripts/start-servers.sh: loopback-only Postfix delivering into Dovecot LMTP.
compatibility_level = 3.6
queue_directory = $q
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $pf/maillog
# any maillog_file outside the prefixes makes every postfix program exit 1 without a word
maillog_file_prefixes = $HD_BASE
myhostname = mx.helpdesk.test
mydomain = helpdesk.test
myorigin = \$mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_sender_restrictions = check_sasl_access texthash:$pf/conf/sasl_vouch
smtpd_banner = \$myhostname ESMTP
alias_maps =
alias_database =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
virtual_mailbox_domains = helpdesk.test customer.test
# texthash needs no postmap; unknown users are rejected at RCPT time (550 5.1.1), no catch-all
virtual_mailbox_maps = texthash:$pf/conf/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$HD_LMTP_PORT
# nothing ever leaves the machine
default_transport = error:5.7.1 outbound delivery disabled in tests
relay_transport = error:5.7.1 outbound delivery disabled in tests
relayhost =
smtp_dns_support_level = disabled
lmtp_host_lookup = native
recipient_delimiter = +
biff = no
smtpd_tls_security_level = may
smtpd_tls_cert_file = $tls/server.crt
smtpd_tls_key_file = $tls/server.key
smtpd_tls_auth_only = no
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$HD_SASL_PORT
smtputf8_enable = yes
message_size_limit = 52428800
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 10s
EOF
cat >"$pf/conf/master.cf" <<EOF
127.0.0.1:$HD_SMTP_PORT inet n - n - - smtpd
127.0.0.1:$HD_SMTP_LIMITED_PORT inet n - n - - smtpd
  -o message_size_limit=$HD_SMTP_LIMITED_SIZE
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
# Postfix naps until a freshly written table/config is older than ~1 s: backdate them.
touch -d '1 minute ago' "$pf/conf/main.cf" "$pf/conf/master.cf" "$pf/conf/vmailbox"
detached "$pf/start.out" "$POSTFIX_MASTER" -c "$pf/conf" -w ||
  { cat "$pf/start.out" >&2; tail -n 20 "$pf/maillog" >&2 2>/dev/null; die "Postfix did not start"; }

mark "postfix started"
# ---- 6. PostgreSQL (initdb refuses root: run as the postgres OS user) ---------------------------
pg=$HD_BASE/pg
mkdir -p "$pg/run"
chown postgres:postgres "$pg" "$pg/run"
runuser -u postgres -- "$PG_BIN/initdb" -D "$pg/data" -U postgres -E UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$pg/initdb.log" 2>&1 ||
  { cat "$pg/initdb.log" >&2; die "initdb failed"; }
# Test tuning: durability of the test cluster itself is not under test (deskgate is killed, not PG).
cat >>"$pg/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $HD_PG_PORT
unix_socket_directories = '$pg/run'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
shared_buffers = 32MB
log_min_messages = warning
EOF
mark "initdb"
detached "$pg/start.out" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$pg/data" -l "$pg/postgres.log" -w -t 30 start ||
  { tail -n 20 "$pg/postgres.log" >&2; die "PostgreSQL did not start"; }
runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -h "$pg/run" -p "$HD_PG_PORT" -U postgres -d postgres <<'EOF'
CREATE ROLE deskgate LOGIN PASSWORD 'deskgate' CREATEDB;
CREATE DATABASE deskgate OWNER deskgate;
EOF

mark "postgresql started, role and database created"
# ---- 7. wait until every port answers -----------------------------------------------------------
for p in HD_IMAP_PORT HD_IMAPS_PORT HD_LMTP_PORT HD_SMTP_PORT HD_SASL_PORT HD_PG_PORT HD_SMTP_LIMITED_PORT; do
  for _ in $(seq 100); do port_busy "${!p}" && break; sleep 0.05; done
  port_busy "${!p}" || die "nothing listens on ${!p} ($p)"
done

mark "all ports answer"
printf '%s' "$marks" >"$HD_BASE/start-times.log"
# ---- 8. env.sh -----------------------------------------------------------------------------------
cat >"$HD_BASE/env.sh" <<EOF
# Written by tests/scripts/start-servers.sh at $(date -u +%FT%TZ). Source it: . $HD_BASE/env.sh
export HD_BASE='$HD_BASE'
export HD_HOST='127.0.0.1'
export HD_IMAP_PORT=$HD_IMAP_PORT
export HD_IMAPS_PORT=$HD_IMAPS_PORT
export HD_LMTP_PORT=$HD_LMTP_PORT
export HD_SMTP_PORT=$HD_SMTP_PORT
export HD_SASL_PORT=$HD_SASL_PORT
export HD_PG_PORT=$HD_PG_PORT
export HD_IMAP_URL='imap://127.0.0.1:$HD_IMAP_PORT'
export HD_IMAPS_URL='imaps://127.0.0.1:$HD_IMAPS_PORT'
export HD_SMTP_URL='smtp://127.0.0.1:$HD_SMTP_PORT'
export HD_SMTP_LIMITED_PORT=$HD_SMTP_LIMITED_PORT
export HD_SMTP_LIMITED_SIZE=$HD_SMTP_LIMITED_SIZE
export HD_SMTP_LIMITED_URL='smtp://127.0.0.1:$HD_SMTP_LIMITED_PORT'
export HD_CA_FILE='$tls/ca.pem'
export HD_WRONG_CA_FILE='$tls/wrong-ca.pem'
export HD_PG_URL='postgresql://deskgate:deskgate@127.0.0.1:$HD_PG_PORT/deskgate'
export HD_PG_CONNINFO='host=127.0.0.1 port=$HD_PG_PORT dbname=deskgate user=deskgate password=deskgate'
export HD_DOVEADM='doveadm -c $dv/dovecot.conf'
export HD_POSTFIX_START='$POSTFIX_MASTER -c $pf/conf -w'
export HD_POSTFIX_PID_FILE='$q/pid/master.pid'
export HD_PASSWORD='$HD_PASSWORD'
export HD_ACCOUNTS='${ACCOUNTS[*]}'
EOF

started=1
ms=$((($(date +%s%N) - t0) / 1000000)); elapsed=$((ms / 1000)).$(printf %03d $((ms % 1000)))
cat <<EOF
deskgate test servers running in $HD_BASE (started in ${elapsed} s)
  IMAP  127.0.0.1:$HD_IMAP_PORT   IMAPS 127.0.0.1:$HD_IMAPS_PORT (CA: $tls/ca.pem)   LMTP 127.0.0.1:$HD_LMTP_PORT
  SMTP  127.0.0.1:$HD_SMTP_PORT (Postfix -> Dovecot LMTP; STARTTLS, AUTH via Dovecot SASL on $HD_SASL_PORT)
        127.0.0.1:$HD_SMTP_LIMITED_PORT (the same, mail up to $HD_SMTP_LIMITED_SIZE bytes)
  PostgreSQL postgresql://deskgate:deskgate@127.0.0.1:$HD_PG_PORT/deskgate
  accounts (password '$HD_PASSWORD'): ${ACCOUNTS[*]}
  environment: . $HD_BASE/env.sh        stop: HD_BASE=$HD_BASE $here/stop-servers.sh
EOF
