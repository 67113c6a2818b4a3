#!/usr/bin/env bash
# `deskgate report` end to end on a desk taken in with `deskgate ingest`: every format, exit
# code 2 on bad input; then the HTML report in headless Chromium (Debian's `chromium`): it
# must load without console errors or failed requests, and its charts must be in the
# rendered DOM. A screenshot is written next to it (kept at $HD_REPORT_SHOT when set) for
# people to look at.
# Usage: chromium-check.sh path/to/deskgate. Exit 77 (ctest: skipped) without chromium.
set -uo pipefail
deskgate=${1:?usage: chromium-check.sh path/to/deskgate}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/deskgate-report-chromium.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$work/rules"
cat >"$work/rules/rules.yaml" <<'YAML'
teams:
  first: { agents: [anna, ben], assign: round_robin }
routing:
  - name: invoices
    when: { subject: '(?i)\binvoice\b' }
    set: { queue: billing, priority: high, team: first, sla: fast, tags: [invoice] }
  - name: rest
    set: { queue: general, team: first, sla: fast }
calendars:
  office: { timezone: Europe/Berlin, hours: { mon-fri: "09:00-17:00" } }
sla:
  fast: { calendar: office, first_response: 1h, resolution: 8h }
YAML
cat >"$work/deskgate.yaml" <<YAML
database: sqlite:desk.db
identity: { name: ACME, address: support@acme.test }
smtp: { url: smtp://127.0.0.1:1 }
rules: rules
agent_mail: { trusted_servers: [mx.acme.test] }
agents:
  - { name: anna, address: anna@acme.test }
  - { name: ben, address: ben@acme.test }
templates: $root/etc/templates
YAML
for i in 1 2 3 4 5 6; do
  subject="Question $i"; [ $((i % 2)) = 0 ] && subject="Invoice $i <wrong> & \"late\""
  printf 'From: customer%s@example.test\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <m%s@example.test>\r\n\r\nHello\r\n' \
    "$i" "$subject" "$i" | "$deskgate" ingest --config "$work/deskgate.yaml" >/dev/null || fail "ingest $i"
done
# Agents' mail comes through our MTA, which vouches for it (DKIM) above its Received line.
mta='Authentication-Results: mx.acme.test; dkim=pass header.d=acme.test\r\nReceived: from laptop by mx.acme.test with ESMTPSA id 1; Mon, 2 Nov 2026 08:00:00 +0000\r\n'
printf "$mta"'From: anna@acme.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#1001] Question 1\r\nMessage-ID: <a1@acme.test>\r\n\r\nAnswer\r\n' |
  "$deskgate" ingest --config "$work/deskgate.yaml" >/dev/null || fail "agent reply"
# Agents resolve three tickets by mail; two customers answer the satisfaction question.
for i in 2 3 4; do
  printf "$mta"'From: ben@acme.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#100%s]\r\nMessage-ID: <r%s@acme.test>\r\n\r\n#resolve\r\nDone.\r\n' \
    "$i" "$i" | "$deskgate" ingest --config "$work/deskgate.yaml" >/dev/null || fail "resolve $i"
done
for i in 2 3; do
  printf 'From: customer%s@example.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#100%s]\r\nMessage-ID: <rate%s@example.test>\r\n\r\n%s - thanks\r\n' \
    "$i" "$i" "$i" "$((i + 2))" | "$deskgate" ingest --config "$work/deskgate.yaml" >/dev/null || fail "rating $i"
done
"$deskgate" report --config "$work/deskgate.yaml" --format html -o "$work/report.html" --quiet --at-risk-hours 8760 || fail "deskgate report"

# The command line: every format is written; bad input is a clear error with exit code 2.
for format in text json csv; do
  "$deskgate" report --config "$work/deskgate.yaml" --format "$format" -o "$work/report.$format" --quiet ||
    fail "deskgate report --format $format"
done
grep -q '^  created 6, resolved 3' "$work/report.text" || fail "the text report does not count the 6 tickets, 3 resolved"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["volumes"]["created"] == 6, d["volumes"]; s=d["satisfaction"]; assert s["rated"] == 2 and s["requested"] == 3 and s["average"] == 4.5, s; a={x["name"]: x["replies"] for x in d["agents"]}; assert a == {"anna": 1, "ben": 3}, a' \
  "$work/report.json" || fail "the JSON report"
head -1 "$work/report.csv" | grep -q '^section,dimension,key,metric,value' || fail "the CSV header"
for bad in "--since 2026-13-01" "--until yesterday" "--format pdf" "--tz Mars/Base" "--at-risk-hours 0" \
           "--since 2026-11-20 --until 2026-11-19"; do
  # shellcheck disable=SC2086  # $bad is a list of arguments on purpose
  "$deskgate" report --config "$work/deskgate.yaml" $bad -o /dev/null --quiet 2>"$work/err"
  rc=$?
  [ $rc = 2 ] || fail "deskgate report $bad: exit $rc, expected 2"
  grep -q 'deskgate report: ' "$work/err" || fail "deskgate report $bad: no message"
done

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "SKIPPED: chromium is not installed (apt-get install chromium; tests/scripts/install-deps.sh lists it)"
  exit 77
fi

# --dump-dom prints the DOM after loading; console messages and failed loads go to stderr.
timeout 120 "$browser" --headless --disable-gpu --no-sandbox --enable-logging=stderr --v=0 \
  --dump-dom "file://$work/report.html" >"$work/dom.html" 2>"$work/chromium.log"
rc=$?
[ $rc = 0 ] || { cat "$work/chromium.log"; fail "chromium exited with $rc"; }
if grep -E 'CONSOLE|Uncaught|net::ERR_|Failed to load' "$work/chromium.log"; then
  fail "chromium reported errors while loading the report"
fi
for chart in chart-volume chart-backlog chart-times chart-sla chart-ratings chart-hours chart-weekdays; do
  grep -q "<svg id=\"$chart\"" "$work/dom.html" || fail "chart $chart is missing from the rendered page"
done
grep -q 'Help desk report' "$work/dom.html" || fail "the title is missing"
grep -q '&lt;wrong&gt; &amp;' "$work/report.html" || fail "subjects are not escaped"

shot=${HD_REPORT_SHOT:-$work/report.png}
timeout 120 "$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --window-size=1280,3000 \
  --screenshot="$shot" "file://$work/report.html" >/dev/null 2>>"$work/chromium.log" || fail "screenshot"
[ -s "$shot" ] || fail "no screenshot written"
echo "OK: the report renders in $("$browser" --version 2>/dev/null) with all charts; screenshot $shot"
