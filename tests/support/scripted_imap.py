#!/usr/bin/python3
"""A small scripted IMAP4rev1 server for deskgate's integration tests.

It shows what Dovecot cannot be made to do on demand: a literal sent slowly, a tagged NO for
one UID, a NIL body, a MOVE refused for quota, a server that accepts the connection and never
greets; and the ways of Courier-IMAP 5.0.13 and Cyrus IMAP 3.6.1 (issue 15): folders under the
personal prefix "INBOX." with separator "." (NAMESPACE, RFC 2342), their CREATE refusals, no
MOVE (Courier), no UIDPLUS, IDLE that reports new mail only once the client ends it (Courier
with Debian's defaults). It speaks just the commands deskgate sends (RFC 3501 subset plus IDLE,
MOVE, UIDPLUS, NAMESPACE) and no more; it is not a general IMAP server.

    scripted_imap.py --mail-dir DIR --port-file FILE [--log FILE] [--state FILE] [options]

DIR holds the INBOX: one file per message named <uid>.eml. The chosen port is written to FILE
once the server listens. --log records every command line received (never the login). --state
is rewritten after every change, one line each: "seen UIDS", "deleted UIDS", "gone UIDS"
(expunged or moved away), "folder NAME UIDS" (the INBOX UIDs copied or moved there, in order,
a UID twice if it was copied twice).
"""
import argparse
import asyncio
import base64
import os
import re
import sys


def parse_set(text, highest):
    """A UID set "1:3,7,9:*" -> predicate on UIDs (RFC 3501 §9 sequence-set)."""
    ranges = []
    for part in text.split(","):
        lo, _, hi = part.partition(":")
        lo = highest if lo == "*" else int(lo)
        hi = lo if not hi else (highest if hi == "*" else int(hi))
        ranges.append((min(lo, hi), max(lo, hi)))
    return lambda uid: any(a <= uid <= b for a, b in ranges)


class Mailbox:
    def __init__(self, directory, state_file):
        self.dir = directory
        self.state_file = state_file
        self.seen = set()
        self.deleted = set()
        self.gone = set()
        self.folders = {}  # name -> INBOX UIDs copied or moved there

    def save(self):
        if not self.state_file:
            return
        def uids(xs):
            return "".join(" %d" % u for u in xs)
        lines = ["seen" + uids(sorted(self.seen)), "deleted" + uids(sorted(self.deleted)),
                 "gone" + uids(sorted(self.gone))]
        lines += ["folder %s%s" % (name, uids(got)) for name, got in sorted(self.folders.items())]
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.rename(tmp, self.state_file)

    def uids(self):
        out = []
        for name in os.listdir(self.dir):
            if name.endswith(".eml"):
                uid = int(name[:-4])
                if uid not in self.gone:
                    out.append(uid)
        return sorted(out)

    def path(self, uid):
        return os.path.join(self.dir, "%d.eml" % uid)


class Session:
    def __init__(self, args, mailbox, reader, writer):
        self.args = args
        self.mb = mailbox
        self.reader = reader
        self.writer = writer
        self.known = 0  # messages the client was told of (EXISTS)

    def caps(self):
        if self.args.courier:
            # What Courier-IMAP 5.0.13 advertised (issue 15): no MOVE.
            caps = "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE"
        else:
            caps = "IMAP4rev1 IDLE MOVE UIDPLUS"
            if self.args.namespace:
                caps += " NAMESPACE"
            if self.args.cyrus:
                caps += " CONDSTORE"
        words = caps.split()
        if self.args.no_move:
            words = [w for w in words if w != "MOVE"]
        if self.args.no_uidplus:
            words = [w for w in words if w != "UIDPLUS"]
        return " ".join(words)

    def is_inbox(self, name):
        return name.upper() == "INBOX"

    def folder_names(self):
        return ["INBOX"] + sorted(self.mb.folders)

    def exists_text(self, tag):
        """The CREATE refusal for a folder that exists, in the server's own words."""
        if self.args.courier:
            return "%s NO Cannot create this folder." % tag
        if self.args.cyrus:
            return "%s NO Mailbox already exists" % tag
        return "%s NO [ALREADYEXISTS] Mailbox exists" % tag

    async def send(self, line):
        self.writer.write(line.encode() + b"\r\n")
        await self.writer.drain()

    def log(self, line):
        if self.args.log:
            with open(self.args.log, "a") as f:
                f.write(line + "\n")

    async def literal(self, data):
        """Sends a literal, at --throttle bytes per second when given."""
        self.writer.write(b"{%d}\r\n" % len(data))
        if not self.args.throttle:
            self.writer.write(data)
            await self.writer.drain()
            return
        step = max(1, self.args.throttle // 10)
        for i in range(0, len(data), step):
            self.writer.write(data[i:i + step])
            await self.writer.drain()
            await asyncio.sleep(0.1)

    async def run(self):
        if self.args.silent:
            await self.reader.read()  # accept, never greet: an unreachable server in effect
            return
        caps = self.caps() + " AUTH=PLAIN SASL-IR"
        if self.args.courier:
            # Courier's own greeting: deskgate check --connect recognises it (IDLE note).
            greeting = ("Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  "
                        "See COPYING for distribution information. (scripted)")
        elif self.args.cyrus:
            greeting = "scripted Cyrus IMAP 3.6.1 server ready"
        else:
            greeting = "scripted server ready"
        await self.send("* OK [CAPABILITY %s] %s" % (caps, greeting))
        while True:
            raw = await self.reader.readline()
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            tag, _, rest = line.partition(" ")
            verb, _, args = rest.partition(" ")
            verb = verb.upper()
            if verb in ("AUTHENTICATE", "LOGIN"):
                self.log("%s %s ..." % (tag, verb))
                if verb == "AUTHENTICATE" and " " not in args:
                    await self.send("+ ")
                    await self.reader.readline()
                await self.send("%s OK [CAPABILITY %s] logged in" % (tag, self.caps()))
                continue
            self.log(line)
            if verb == "UID":
                sub, _, args = args.partition(" ")
                verb = "UID " + sub.upper()
            handler = {
                "CAPABILITY": self.capability, "NOOP": self.ok, "SELECT": self.select,
                "CREATE": self.create, "UID SEARCH": self.search, "UID FETCH": self.fetch,
                "FETCH": self.fetch_seq, "UID STORE": self.store, "UID MOVE": self.move,
                "IDLE": self.idle, "LOGOUT": self.logout, "LIST": self.list, "NAMESPACE": self.namespace,
                "STATUS": self.status, "UID COPY": self.copy, "UID EXPUNGE": self.uid_expunge,
            }.get(verb)
            if verb == "UID MOVE" and "MOVE" not in self.caps().split():
                handler = None
            if verb == "UID EXPUNGE" and "UIDPLUS" not in self.caps().split():
                handler = None
            if verb == "NAMESPACE" and "NAMESPACE" not in self.caps().split():
                handler = None
            if handler is None:
                await self.send("%s BAD unknown command" % tag)
                continue
            if await handler(tag, args) is False:
                return

    async def capability(self, tag, args):
        await self.send("* CAPABILITY " + self.caps())
        await self.send("%s OK done" % tag)

    async def ok(self, tag, args):
        await self.send("%s OK done" % tag)

    async def logout(self, tag, args):
        await self.send("* BYE bye")
        await self.send("%s OK done" % tag)
        return False

    async def select(self, tag, args):
        if not self.is_inbox(unquote(args)):
            await self.send("%s NO Mailbox does not exist (scripted: only INBOX can be selected)" % tag)
            return
        uids = self.mb.uids()
        self.known = len(uids)
        await self.send("* %d EXISTS" % len(uids))
        await self.send("* OK [UIDVALIDITY %d] ok" % self.args.uidvalidity)
        await self.send("* OK [UIDNEXT %d] ok" % ((uids[-1] + 1) if uids else 1))
        await self.send("%s OK [READ-WRITE] selected" % tag)

    async def create(self, tag, args):
        name = unquote(args)
        if self.is_inbox(name) or name in self.mb.folders:
            await self.send(self.exists_text(tag))
            return
        if self.args.refuse_create:
            await self.send("%s NO Permission denied (scripted)" % tag)
            return
        if self.args.prefix and not name.startswith(self.args.prefix):
            # Courier: "Invalid mailbox name."; Cyrus: "Permission denied" (issue 15).
            text = "Permission denied" if self.args.cyrus else "Invalid mailbox name."
            await self.send("%s NO %s" % (tag, text))
            return
        self.mb.folders[name] = []
        self.mb.save()
        if self.args.create_race:
            # Another client made it between our LIST and CREATE: refused as existing.
            await self.send(self.exists_text(tag))
            return
        await self.send("%s OK created" % tag)

    async def namespace(self, tag, args):
        sep = "NIL" if not self.args.separator else '"%s"' % self.args.separator
        await self.send('* NAMESPACE (("%s" %s)) NIL NIL' % (self.args.prefix, sep))
        await self.send("%s OK namespace done" % tag)

    async def list(self, tag, args):
        m = re.match(r'"([^"]*)" "([^"]*)"$', args)
        if not m:
            await self.send("%s BAD scripted LIST wants two quoted strings" % tag)
            return
        pattern = m.group(2)
        sep = "NIL" if not self.args.separator else '"%s"' % self.args.separator
        if pattern == "":
            await self.send('* LIST (\\Noselect) %s ""' % sep)
        else:
            for name in self.folder_names():
                if pattern in ("*", "%") or name == pattern or (self.is_inbox(name) and self.is_inbox(pattern)):
                    await self.send('* LIST (\\HasNoChildren) %s "%s"' % (sep, name))
        await self.send("%s OK list done" % tag)

    async def status(self, tag, args):
        name = unquote(args.rsplit(" (", 1)[0])
        if self.is_inbox(name):
            uids = self.mb.uids()
            count, unseen = len(uids), len([u for u in uids if u not in self.mb.seen])
        elif name in self.mb.folders:
            count = unseen = len(self.mb.folders[name])
        else:
            await self.send("%s NO Mailbox does not exist" % tag)
            return
        await self.send('* STATUS "%s" (MESSAGES %d UNSEEN %d)' % (name, count, unseen))
        await self.send("%s OK status done" % tag)

    def matching(self, set_text):
        uids = self.mb.uids()
        match = parse_set(set_text, uids[-1] if uids else 0)
        return [u for u in uids if match(u)]

    async def copy(self, tag, args):
        set_text, _, target = args.partition(" ")
        target = unquote(target)
        if target not in self.mb.folders:
            await self.send("%s NO [TRYCREATE] Mailbox does not exist" % tag)
            return
        self.mb.folders[target].extend(self.matching(set_text))
        self.mb.save()
        await self.send("%s OK copy done" % tag)

    async def uid_expunge(self, tag, args):
        for u in self.matching(args.strip()):
            if u in self.mb.deleted:
                self.mb.gone.add(u)
        self.mb.save()
        self.known = len(self.mb.uids())
        await self.send("%s OK expunge done" % tag)

    async def search(self, tag, args):
        uids = self.mb.uids()
        highest = uids[-1] if uids else 0
        m = re.search(r"UID (\S+)", args, re.I)
        match = parse_set(m.group(1), highest) if m else (lambda u: True)
        words = args.upper().split()
        found = [u for u in uids if match(u)
                 and not ("UNSEEN" in words and u in self.mb.seen)
                 and not ("UNDELETED" in words and u in self.mb.deleted)]
        await self.send("* SEARCH" + "".join(" %d" % u for u in found))
        await self.send("%s OK search done" % tag)

    async def fetch_seq(self, tag, args):
        # Only "FETCH * (UID)": the highest UID.
        uids = self.mb.uids()
        if uids:
            await self.send("* %d FETCH (UID %d)" % (len(uids), uids[-1]))
        await self.send("%s OK fetch done" % tag)

    async def fetch(self, tag, args):
        uids = self.mb.uids()
        highest = uids[-1] if uids else 0
        set_text, _, items = args.partition(" ")
        match = parse_set(set_text, highest)
        items = items.upper()
        refused = False
        for seq, uid in enumerate(uids, 1):
            if not match(uid):
                continue
            if "RFC822.SIZE" in items:
                await self.send("* %d FETCH (UID %d RFC822.SIZE %d)" % (seq, uid, os.path.getsize(self.mb.path(uid))))
                continue
            if uid in self.args.no_uid:
                refused = True  # Dovecot answers the others and ends with a tagged NO
                continue
            if uid in self.args.vanish_uid:
                continue  # listed with its size, gone when fetched (expunged meanwhile)
            if uid in self.args.nil_uid:
                await self.send("* %d FETCH (UID %d BODY[] NIL)" % (seq, uid))
                continue
            with open(self.mb.path(uid), "rb") as f:
                data = f.read()
            section = "BODY[]"
            if "HEADER" in items:
                section = "BODY[HEADER]"
                end = data.find(b"\r\n\r\n")
                data = data if end < 0 else data[:end + 4]
            self.writer.write(b"* %d FETCH (UID %d %s " % (seq, uid, section.encode()))
            await self.literal(data)
            self.writer.write(b")\r\n")
            await self.writer.drain()
        if refused:
            await self.send("%s NO Some messages could not be FETCHed (scripted)" % tag)
        else:
            await self.send("%s OK fetch done" % tag)

    async def store(self, tag, args):
        hit = self.matching(args.split(" ")[0])
        if "\\SEEN" in args.upper():
            self.mb.seen.update(hit)
        if "\\DELETED" in args.upper():
            self.mb.deleted.update(hit)
        self.mb.save()
        await self.send("%s OK store done" % tag)

    async def move(self, tag, args):
        if self.args.refuse_move:
            await self.send("%s NO [OVERQUOTA] Quota exceeded (scripted)" % tag)
            return
        set_text, _, target = args.partition(" ")
        target = unquote(target)
        if target not in self.mb.folders:
            await self.send("%s NO [TRYCREATE] Mailbox does not exist" % tag)
            return
        hit = self.matching(set_text)
        self.mb.folders[target].extend(hit)
        self.mb.gone.update(hit)
        self.mb.save()
        self.known = len(self.mb.uids())
        await self.send("%s OK move done" % tag)

    async def idle(self, tag, args):
        await self.send("+ idling")
        line = asyncio.ensure_future(self.reader.readline())
        while True:
            done, _ = await asyncio.wait({line}, timeout=0.1)
            if done:
                raw = line.result()
                if not raw:
                    return False
                if raw.strip().upper() == b"DONE":
                    break
                line = asyncio.ensure_future(self.reader.readline())
                continue
            # Dovecot and Cyrus tell new mail at once; Courier with Debian's defaults (no FAM,
            # IMAP_ENHANCEDIDLE off) only once the client ends IDLE (--idle-at-done).
            if not self.args.idle_at_done:
                await self.report_exists()
        await self.report_exists()
        await self.send("%s OK idle done" % tag)

    async def report_exists(self):
        count = len(self.mb.uids())
        if count > self.known:
            self.known = count
            await self.send("* %d EXISTS" % count)


def unquote(text):
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mail-dir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--uidvalidity", type=int, default=7)
    p.add_argument("--throttle", type=int, default=0, help="literal bytes per second")
    p.add_argument("--no-uid", type=int, action="append", default=[], help="tagged NO when fetching this UID")
    p.add_argument("--nil-uid", type=int, action="append", default=[], help="BODY[] NIL for this UID")
    p.add_argument("--vanish-uid", type=int, action="append", default=[], help="listed, never returned by FETCH")
    p.add_argument("--refuse-move", action="store_true", help="UID MOVE -> NO [OVERQUOTA]")
    p.add_argument("--silent", action="store_true", help="accept connections, never greet")
    p.add_argument("--state", help="rewritten after every change (flags, folders)")
    p.add_argument("--prefix", default="", help='personal namespace prefix, e.g. "INBOX."')
    p.add_argument("--separator", default="/", help="hierarchy separator")
    p.add_argument("--namespace", action="store_true", help="advertise and answer NAMESPACE")
    p.add_argument("--no-move", action="store_true", help="no MOVE capability")
    p.add_argument("--no-uidplus", action="store_true", help="no UIDPLUS: no UID EXPUNGE")
    p.add_argument("--idle-at-done", action="store_true", help="IDLE tells new mail only after DONE")
    p.add_argument("--create-race", action="store_true",
                   help="CREATE makes the folder but answers that it exists (another client was quicker)")
    p.add_argument("--refuse-create", action="store_true", help="CREATE -> NO Permission denied")
    p.add_argument("--courier", action="store_true",
                   help='Courier-IMAP 5.0.13: prefix "INBOX." ".", NAMESPACE, no MOVE, its CREATE wording, '
                        "IDLE news only after DONE")
    p.add_argument("--cyrus", action="store_true",
                   help='Cyrus IMAP 3.6.1: prefix "INBOX." ".", NAMESPACE, MOVE, CONDSTORE, its CREATE wording')
    args = p.parse_args()
    if args.courier or args.cyrus:
        args.prefix, args.separator, args.namespace = "INBOX.", ".", True
    if args.courier:
        args.idle_at_done = True
    mailbox = Mailbox(args.mail_dir, args.state)

    async def client(reader, writer):
        try:
            await Session(args, mailbox, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(client, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
