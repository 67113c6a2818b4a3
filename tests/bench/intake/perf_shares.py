#!/usr/bin/python3
"""Shares of CPU time during an intake benchmark run, from `perf record -a` samples.

    perf script -i perf.data -F comm,pid,tid,ip,sym,dso | perf_shares.py --deskgate PID --database PIDS \\
        --imap PIDS --smtp PIDS [--top 12]

Each sample of the processes named counts once (others' work on the machine is left out): the
PostgreSQL server's processes count as database, Dovecot's as IMAP, smtp-sink's as SMTP; in the
daemon, samples count by the library or function they are in (leaf frame: time in libc or the
kernel on behalf of, say, parsing counts as "daemon: libc" / "daemon: kernel"). The outbox
worker's thread (deskgate-smtp) counts as SMTP except for its database calls.
"""
import argparse
import collections
import re
import sys

RULES = [  # (category, regex on "dso sym"), first match wins, for the daemon's own samples
    ("database", re.compile(r"libpq|libsqlite3|libsoci|deskgate::(SociDatabase|TicketStore|IntakeStore|OutboxStore|"
                            r"CounterStore|LeaseStore|StatusStore|guarded|intAt|strAt|encodeRaw|decodeRaw)|soci::")),
    ("IMAP", re.compile(r"libcurl|libnghttp|libssl|deskgate::(CurlImapClient|ImapResponse|imap|Imap)|MailboxWatcher")),
    ("parse", re.compile(r"libmimetic|libgumbo|libuchardet|gconv|iconv|deskgate::(parse|Parse|Mime|mime|decode|Decode|"
                         r"charset|Charset|html|Html|reply|Reply|classify|Classify|address|Address|header|Header|"
                         r"sanitize|utf8|Utf8|base64|quoted|sha256|Sha256|tnef|Tnef|split|normalize|detect)|mimetic::|"
                         r"SHA256|sha256_block")),
    ("rules", re.compile(r"libre2|re2::|libdate-tz|date::|deskgate::(route|Route|Router|match|Match|RuleSet|Rule|sla|Sla|"
                         r"business|Business|escalat|Escalat|pickAgent|chooseTicket|standingOn|meaningOf|Calendar|"
                         r"calendar|planEscalation|applySla)")),
    ("compose", re.compile(r"kainjow|mustache|deskgate::(buildMessage|MailComposer|Template|template|render|Render|"
                           r"encodeHeader|foldHeader|makeMessageId|line|OutgoingMail|formatToken)")),
    ("daemon: kernel", re.compile(r"\[kernel|kallsyms")),
    ("daemon: libc, libstdc++", re.compile(r"libc\.so|libstdc\+\+|libm\.so|ld-linux")),
]


def pids(text):
    return {int(p) for p in re.split(r"[ ,]+", text.strip()) if p}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deskgate", type=int, required=True)
    ap.add_argument("--database", default="")
    ap.add_argument("--imap", default="")
    ap.add_argument("--smtp", default="")
    ap.add_argument("--top", type=int, default=0, help="also list the N most sampled daemon functions")
    args = ap.parse_args()
    database, imap, smtp = pids(args.database), pids(args.imap), pids(args.smtp)
    counts = collections.Counter()
    daemon_syms = collections.Counter()
    # perf script -F comm,pid,tid,ip,sym,dso prints "comm pid/tid ip sym (dso)" (without the ip
    # field, perf prints no symbol at all).
    for line in sys.stdin:
        m = re.match(r"^\s*(\S+)\s+(\d+)/(\d+)\s+(?:[0-9a-f]+\s+)?(.*)$", line)
        if not m:
            continue
        comm, pid, tid, rest = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
        dso = rest[rest.rfind("(") + 1:rest.rfind(")")] if "(" in rest else ""
        sym = rest[:rest.rfind("(")].strip() if "(" in rest else rest.strip()
        if pid in database:
            counts["database (PostgreSQL server)"] += 1
        elif pid in imap:
            counts["IMAP (Dovecot)"] += 1
        elif pid in smtp:
            counts["SMTP (smtp-sink)"] += 1
        elif pid == args.deskgate:
            key = dso + " " + sym
            category = "daemon: other"
            for name, rx in RULES:
                if rx.search(key):
                    category = name
                    break
            if comm.startswith("deskgate-smtp") and category not in ("database",):
                category = "SMTP (outbox thread)"
            elif category in ("database", "IMAP"):
                category += " (daemon)"
            counts[category] += 1
            daemon_syms[(sym or "?")[:70] + "  [" + dso.split("/")[-1] + "]"] += 1
    total = sum(counts.values())
    if not total:
        print("no samples of the benchmark's processes")
        return
    groups = collections.OrderedDict()
    for key, label in [("parse", "parse"), ("rules", "rules"), ("database", "database"), ("IMAP", "IMAP"),
                       ("SMTP", "SMTP"), ("compose", "compose (templates, MIME)"), ("daemon", "daemon: other")]:
        groups[label] = sum(v for k, v in counts.items() if k.startswith(key))
    print(f"CPU samples: {total} (daemon {sum(v for k, v in counts.items() if 'server' not in k and 'Dovecot' not in k and 'smtp-sink' not in k)})")
    print("  " + ", ".join(f"{label} {v * 100 / total:.0f}%" for label, v in groups.items()))
    print("  in detail: " + ", ".join(f"{k} {v * 100 / total:.1f}%" for k, v in counts.most_common()))
    if args.top:
        dtotal = sum(daemon_syms.values())
        print(f"  the daemon's most sampled functions (of {dtotal}):")
        for sym, v in daemon_syms.most_common(args.top):
            print(f"    {v * 100 / dtotal:5.1f}%  {sym}")


if __name__ == "__main__":
    main()
