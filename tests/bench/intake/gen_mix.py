#!/usr/bin/python3
"""Writes the intake benchmark's mail mix into a Maildir, deterministically (same seed, same bytes).

    gen_mix.py --count 10000 --senders 2000 --maildir DIR [--seed 11]

The mix (issue 11): N mails from S senders; about 20% are replies (In-Reply-To and References to
the same sender's earlier mail, "Re:" subject); 10% carry a 20-120 KB attachment; 15% are
multipart/alternative (text and HTML), 5% HTML only, the rest plain text; text parts in UTF-8
or ISO-8859-1, each as 8bit, quoted-printable or base64. Files go to DIR/tmp and are renamed
into DIR/new with names in the order of generation: Dovecot gives new mail UIDs in file-name
order, so a reply always comes after the mail it answers. Prints a summary line.

Only the Python standard library; no randomness but random.Random(seed).
"""
import argparse
import base64
import os
import quopri
import random

SUBJECTS = [
    "Drucker druckt nicht", "Rechnung {n} ist falsch", "VPN verbindet nicht mehr", "Passwort vergessen",
    "Lieferung {n} fehlt", "Invoice {n} overdue?", "Cannot log in", "Bestellung {n}: Größe ändern",
    "Kündigung zum Monatsende", "Fehlermeldung beim Öffnen", "Question about order {n}", "Zugang für neue Kollegin",
]
SENTENCES = [
    "Guten Tag, seit gestern funktioniert der Zugang nicht mehr.",
    "Die Fehlermeldung lautet: »Zeitüberschreitung bei der Anmeldung«.",
    "Können Sie mir bitte helfen? Es ist dringend, weil die Abrechnung morgen fällig ist.",
    "I tried restarting the computer twice, but nothing changed.",
    "Anbei die gewünschten Unterlagen; bitte prüfen Sie die Beträge in Zeile 3 und 7.",
    "Müller, Jörg und Søren haben dasselbe Problem gemeldet – wohl ein Fehler bei Ihnen.",
    "Thank you for your quick answer, it works again now.",
    "Mit freundlichen Grüßen aus Köln",
    "The invoice shows 49,90 € but the contract says 39,90 €.",
    "Bitte rufen Sie mich zurück: 0221 123456.",
]
QUOTE = "> Vielen Dank für Ihre Nachricht. Wir kümmern uns darum.\n> Ihr Support-Team\n"


def encode_text(text, charset, cte):
    """The part's body bytes (CRLF line ends) for a text in `charset` with transfer encoding `cte`."""
    if charset == "iso-8859-1":  # what Latin-1 cannot say
        text = text.replace("€", "EUR").replace("–", "-")
    if cte == "quoted-printable":  # encoded with LF line ends (soft breaks "=\n"), then CRLF
        return quopri.encodestring(text.encode(charset)).replace(b"\n", b"\r\n")
    raw = text.replace("\n", "\r\n").encode(charset)
    if cte == "8bit":
        return raw
    return base64.encodebytes(raw).replace(b"\n", b"\r\n")


def text_part(text, subtype, charset, cte):
    head = f"Content-Type: text/{subtype}; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    return head.encode("ascii") + encode_text(text, charset, cte)


def html_of(text):
    paras = "".join(f"<p>{line}</p>" for line in text.split("\n") if line and not line.startswith(">"))
    return f"<html><head><title>Mail</title></head><body><div style=\"font-family:Arial\">{paras}</div></body></html>"


def build(i, rng, senders, history, stats):
    sender = rng.randrange(senders)
    name = f"Kunde {sender} Ärger" if sender % 7 == 0 else f"Customer {sender}"
    address = f"c{sender}@example{sender % 50}.test"
    mid = f"<mix-{i}@example{sender % 50}.test>"
    earlier = history.get(sender)
    reply = earlier is not None and rng.random() < 0.25  # ~20% of all mails once senders repeat
    if reply:
        subject = "Re: " + earlier[1]
        extra = f"In-Reply-To: {earlier[0]}\r\nReferences: {earlier[0]}\r\n"
        stats["reply"] += 1
    else:
        subject = rng.choice(SUBJECTS).format(n=1000 + i)
        extra = ""
    history[sender] = (mid, subject)
    lines = [rng.choice(SENTENCES) for _ in range(rng.randrange(3, 12))]
    text = "\n".join(lines) + "\n" + (QUOTE if reply else "")
    charset = "utf-8" if rng.random() < 0.5 else "iso-8859-1"
    cte = rng.choice(["8bit", "quoted-printable", "base64"])
    shape = rng.random()
    if shape < 0.05:
        stats["html_only"] += 1
        body = text_part(html_of(text), "html", charset, cte)
    elif shape < 0.20:
        stats["alternative"] += 1
        b = f"=_alt_{i}"
        body = (f"Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n").encode()
        body += text_part(text, "plain", charset, cte) + f"\r\n--{b}\r\n".encode()
        body += text_part(html_of(text), "html", charset, cte) + f"\r\n--{b}--\r\n".encode()
    else:
        body = text_part(text, "plain", charset, cte)
    stats[charset] += 1
    stats[cte] += 1
    if rng.random() < 0.10:
        stats["attachment"] += 1
        size = rng.randrange(20 * 1024, 120 * 1024 + 1)
        stats["attachment_bytes"] += size
        blob = rng.randbytes(size)
        kind, fname = rng.choice([("application/pdf", "rechnung.pdf"), ("image/png", "screenshot.png"),
                                  ("application/octet-stream", "log.bin")])
        b = f"=_mix_{i}"
        mixed = (f"Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n").encode() + body
        mixed += (f"\r\n--{b}\r\nContent-Type: {kind}; name=\"{fname}\"\r\nContent-Disposition: attachment;"
                  f" filename=\"{fname}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode()
        mixed += base64.encodebytes(blob).replace(b"\n", b"\r\n") + f"\r\n--{b}--\r\n".encode()
        body = mixed
    # RFC 2047 for the display name and subject when they are not ASCII.
    def word(s):
        if s.isascii():
            return s
        return "=?utf-8?b?" + base64.b64encode(s.encode("utf-8")).decode("ascii") + "?="
    day = 1 + i // 5000
    header = (f"From: {word(name)} <{address}>\r\nTo: Support <support@helpdesk.test>\r\nSubject: {word(subject)}\r\n"
              f"Message-ID: {mid}\r\n{extra}Date: Tue, {day:02d} Dec 2026 {(i // 60) % 24:02d}:{i % 60:02d}:00 +0100\r\n"
              "MIME-Version: 1.0\r\n")
    return header.encode("utf-8") + body


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--senders", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--maildir", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    stats = {k: 0 for k in ["reply", "attachment", "attachment_bytes", "alternative", "html_only", "utf-8",
                            "iso-8859-1", "8bit", "quoted-printable", "base64"]}
    history = {}
    total = 0
    for i in range(args.count):
        mail = build(i, rng, args.senders, history, stats)
        total += len(mail)
        name = f"1800000000.M{i:07d}P1.bench"
        tmp = os.path.join(args.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(mail)
        os.rename(tmp, os.path.join(args.maildir, "new", name))
    n = args.count
    print(f"{n} mails, {total / 1e6:.1f} MB, {len(history)} senders: {stats['reply'] * 100 / n:.0f}% replies, "
          f"{stats['attachment'] * 100 / n:.0f}% with an attachment ({stats['attachment_bytes'] / max(1, stats['attachment']) / 1024:.0f} KB on average), "
          f"{stats['alternative'] * 100 / n:.0f}% multipart/alternative, {stats['html_only'] * 100 / n:.0f}% HTML only; "
          f"UTF-8 {stats['utf-8'] * 100 / n:.0f}% / ISO-8859-1 {stats['iso-8859-1'] * 100 / n:.0f}%; "
          f"8bit {stats['8bit'] * 100 / n:.0f}% / QP {stats['quoted-printable'] * 100 / n:.0f}% / base64 {stats['base64'] * 100 / n:.0f}%")


if __name__ == "__main__":
    main()
