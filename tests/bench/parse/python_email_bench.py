#!/usr/bin/env python3
"""Python 3's standard email parser on the same files, as the scripting-language peers use it:
message_from_bytes(policy=default) + get_body(preferencelist=('plain', 'html')).get_content()."""
import email
import resource
import sys
import time
from email import policy


def main():
    paths = [line.rstrip("\n") for line in open(sys.argv[1]) if line.strip()]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    mails = [open(p, "rb").read() for p in paths]
    total = sum(len(m) for m in mails)
    errors = 0
    start = time.perf_counter()
    cpu_start = time.process_time()
    for _ in range(rounds):
        for raw in mails:
            try:
                msg = email.message_from_bytes(raw, policy=policy.default)
                body = msg.get_body(preferencelist=("plain", "html"))
                if body is not None:
                    body.get_content()
            except Exception:  # noqa: BLE001 - count, as a failed parse
                errors += 1
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    n = len(mails) * rounds
    print(f"python: mails={len(mails)} rounds={rounds} bytes={total} seconds={seconds:.3f} "
          f"cpu_seconds={cpu_seconds:.3f} mails_per_s={n / seconds:.1f} cpu_mails_per_s={n / cpu_seconds:.1f} "
          f"mb_per_s={total * rounds / seconds / 1e6:.2f} peak_rss_mb={rss:.1f} errors={errors // rounds}")


if __name__ == "__main__":
    main()
