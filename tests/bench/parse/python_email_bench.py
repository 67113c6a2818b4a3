#!/usr/bin/env python3
"""Python 3's standard email parser on the same files, as the scripting-language peers use it:
message_from_bytes(policy=default) + get_body(preferencelist=('plain', 'html')).get_content().

  python_email_bench.py LIST [ROUNDS] [--json]

With --json each mail is also written as one JSON line of five fields (subject, from, to,
date, body) to stdout, the counterpart of `deskgate parse --json`; the figures then go to
stderr. Headers are read with str() of the policy's header objects (decoded RFC 2047)."""
import email
import json
import resource
import sys
import time
from email import policy


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    as_json = "--json" in sys.argv[1:]
    paths = [line.rstrip("\n") for line in open(args[0]) if line.strip()]
    rounds = int(args[1]) if len(args) > 1 else 1
    mails = [open(p, "rb").read() for p in paths]
    total = sum(len(m) for m in mails)
    errors = 0
    out = sys.stdout
    start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in range(rounds):
        for raw in mails:
            try:
                msg = email.message_from_bytes(raw, policy=policy.default)
                body = msg.get_body(preferencelist=("plain", "html"))
                text = body.get_content() if body is not None else ""
                if as_json:
                    out.write(json.dumps({"subject": str(msg.get("subject", "")), "from": str(msg.get("from", "")),
                                          "to": str(msg.get("to", "")), "date": str(msg.get("date", "")),
                                          "text": text}) + "\n")
            except Exception:  # noqa: BLE001 - count, as a failed parse
                errors += 1
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    n = len(mails) * rounds
    print(f"python{'+json' if as_json else ''}: mails={len(mails)} rounds={rounds} bytes={total} seconds={seconds:.3f} "
          f"cpu_seconds={cpu_seconds:.3f} mails_per_s={n / seconds:.1f} cpu_mails_per_s={n / cpu_seconds:.1f} "
          f"mb_per_s={total * rounds / seconds / 1e6:.2f} peak_rss_mb={rss:.1f} errors={errors // rounds}",
          file=sys.stderr if as_json else sys.stdout)


if __name__ == "__main__":
    main()
