#!/usr/bin/python3
"""A small scripted IMAP4rev1 server for deskgate's integration tests.

It shows what Dovecot cannot be made to do on demand: a literal sent slowly, a tagged NO for
one UID, a NIL body, a MOVE refused for quota, a server that accepts the connection and never
greets. It speaks just the commands deskgate sends (RFC 3501 subset plus IDLE, MOVE, UIDPLUS)
and no more; it is not a general IMAP server.

    scripted_imap.py --mail-dir DIR --port-file FILE [--log FILE] [options]

DIR holds the mailbox: one file per message named <uid>.eml. The chosen port is written to
FILE once the server listens. --log records every command line received (never the login).
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
    def __init__(self, directory):
        self.dir = directory
        self.seen = set()
        self.gone = set()

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
        caps = "IMAP4rev1 IDLE MOVE UIDPLUS AUTH=PLAIN SASL-IR"
        await self.send("* OK [CAPABILITY %s] scripted server ready" % caps)
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
                await self.send("%s OK [CAPABILITY %s] logged in" % (tag, caps))
                continue
            self.log(line)
            if verb == "UID":
                sub, _, args = args.partition(" ")
                verb = "UID " + sub.upper()
            handler = {
                "CAPABILITY": self.capability, "NOOP": self.ok, "SELECT": self.select,
                "CREATE": self.create, "UID SEARCH": self.search, "UID FETCH": self.fetch,
                "FETCH": self.fetch_seq, "UID STORE": self.store, "UID MOVE": self.move,
                "IDLE": self.idle, "LOGOUT": self.logout,
            }.get(verb)
            if handler is None:
                await self.send("%s BAD unknown command" % tag)
                continue
            if await handler(tag, args) is False:
                return

    async def capability(self, tag, args):
        await self.send("* CAPABILITY IMAP4rev1 IDLE MOVE UIDPLUS")
        await self.send("%s OK done" % tag)

    async def ok(self, tag, args):
        await self.send("%s OK done" % tag)

    async def logout(self, tag, args):
        await self.send("* BYE bye")
        await self.send("%s OK done" % tag)
        return False

    async def select(self, tag, args):
        uids = self.mb.uids()
        await self.send("* %d EXISTS" % len(uids))
        await self.send("* OK [UIDVALIDITY %d] ok" % self.args.uidvalidity)
        await self.send("* OK [UIDNEXT %d] ok" % ((uids[-1] + 1) if uids else 1))
        await self.send("%s OK [READ-WRITE] selected" % tag)

    async def create(self, tag, args):
        await self.send("%s NO [ALREADYEXISTS] exists" % tag)

    async def search(self, tag, args):
        uids = self.mb.uids()
        highest = uids[-1] if uids else 0
        m = re.search(r"UID (\S+)", args, re.I)
        match = parse_set(m.group(1), highest) if m else (lambda u: True)
        unseen = "UNSEEN" in args.upper()
        found = [u for u in uids if match(u) and not (unseen and u in self.mb.seen)]
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
        uids = self.mb.uids()
        match = parse_set(args.split(" ")[0], uids[-1] if uids else 0)
        if "\\SEEN" in args.upper():
            self.mb.seen.update(u for u in uids if match(u))
        await self.send("%s OK store done" % tag)

    async def move(self, tag, args):
        if self.args.refuse_move:
            await self.send("%s NO [OVERQUOTA] Quota exceeded (scripted)" % tag)
            return
        uids = self.mb.uids()
        match = parse_set(args.split(" ")[0], uids[-1] if uids else 0)
        self.mb.gone.update(u for u in uids if match(u))
        await self.send("%s OK move done" % tag)

    async def idle(self, tag, args):
        await self.send("+ idling")
        while True:
            raw = await self.reader.readline()
            if not raw:
                return False
            if raw.strip().upper() == b"DONE":
                break
        await self.send("%s OK idle done" % tag)


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
    args = p.parse_args()
    mailbox = Mailbox(args.mail_dir)

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
