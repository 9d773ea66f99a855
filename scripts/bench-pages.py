#!/usr/bin/env python3
"""bench-pages.py: which table each page written by one LMDB commit belongs to (issue 14's
write amplification per start). scripts/bench-pages.sh traces a service's writes (strace:
pwrite64, lseek + writev, fdatasync), stops it right after a commit, then this reads its
data.mdb (LMDB 0.9 on-disk format), walks every tree of the last committed snapshot (the
freelist, the main DB and each named DB, overflow pages included) and attributes the pages
of the last complete commit of the trace (or the last COMMITS; pages of an earlier commit
that a later one replaced are then counted as "replaced": they were some table's then).
  bench-pages.py DATA_DIR STRACE_LOG [COMMITS] [--json]
"""
import json
import os
import re
import struct
import sys

P_BRANCH, P_LEAF, P_OVERFLOW, P_META, P_LEAF2 = 0x01, 0x02, 0x04, 0x08, 0x20
F_BIGDATA, F_SUBDATA = 0x01, 0x02


class Pages:
    """Reads pages of data.mdb on demand (a store of millions of accounts is GiBs)."""

    def __init__(self, path, psize=4096):
        self.f, self.psize = open(path, "rb"), psize

    def get(self, pg):
        self.f.seek(pg * self.psize)
        return self.f.read(self.psize)


def read_meta(pages):
    best = None
    for pg in (0, 1):
        buf = pages.get(pg)
        dbs = [struct.unpack_from("<IHHQQQQQ", buf, 16 + 24 + 48 * i) for i in range(2)]
        txnid = struct.unpack_from("<Q", buf, 16 + 24 + 96 + 8)[0]
        if best is None or txnid > best[0]:
            best = (txnid, dbs)
    return best


def walk(pages, root, name, owner, written, subdbs=None):
    """Marks as name's the pages of the tree at root that the commit wrote. A commit copies
    every page above one it changes, so only written pages lead to written pages: the walk
    reads nothing else (the main DB, passed subdbs, is read whole for the tables' roots)."""
    stack = [root] if root != 0xFFFFFFFFFFFFFFFF else []
    while stack:
        pg = stack.pop()
        if pg not in written and subdbs is None:
            continue
        buf = pages.get(pg)
        if len(buf) < pages.psize:
            continue
        flags = struct.unpack_from("<H", buf, 10)[0]
        if pg in written:
            owner[pg] = name
        if flags & (P_OVERFLOW | P_LEAF2):
            continue
        lower = struct.unpack_from("<H", buf, 12)[0]
        for i in range((lower - 16) >> 1):
            ptr = struct.unpack_from("<H", buf, 16 + 2 * i)[0]
            lo, hi, nflags, ksize = struct.unpack_from("<HHHH", buf, ptr)
            if flags & P_BRANCH:
                stack.append(lo | hi << 16 | nflags << 32)
                continue
            data = ptr + 8 + ksize
            if nflags & F_BIGDATA:
                ov = struct.unpack_from("<Q", buf, data)[0]
                if ov in written:
                    npages = struct.unpack_from("<I", pages.get(ov), 12)[0]
                    for p in range(ov, ov + npages):
                        owner[p] = name
            elif nflags & F_SUBDATA and subdbs is not None:
                key = buf[ptr + 8:ptr + 8 + ksize].decode("utf-8", "replace")
                subdbs[key] = struct.unpack_from("<IHHQQQQQ", buf, data)[7]


def commits(log, psize):
    """Lists of page numbers written by each complete commit in the strace log (pages are
    written, fdatasync'd, then the meta page is written and fdatasync'd)."""
    pos, out, cur = {}, [], []
    for line in open(log):
        m = re.match(r"(\d+)\s+(\w+)\((\d+),(.*)\)\s+=\s+(-?\d+)", line)
        if not m:
            continue
        pid, call, fd, args, ret = m.group(1), m.group(2), m.group(3), m.group(4), int(m.group(5))
        if call == "lseek":
            pos[(pid, fd)] = ret
        elif call == "writev" and ret > 0:
            start = pos.get((pid, fd), 0)
            cur.extend(range(start // psize, (start + ret + psize - 1) // psize))
        elif call == "pwrite64" and ret > 0:
            off = int(args.rsplit(",", 1)[1])
            first = off // psize
            if first in (0, 1):  # the meta page (its own O_DSYNC descriptor): a commit ends
                out.append({"pages": cur, "meta": 1})
                cur = []
            else:
                cur.extend(range(first, (off + ret + psize - 1) // psize))
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    d, log = args[0], args[1]
    want = int(args[2]) if len(args) > 2 else 1
    pages = Pages(os.path.join(d, "data.mdb"))
    _, dbs = read_meta(pages)
    cs = commits(log, pages.psize)[-want:]
    written = {pg for c in cs for pg in c["pages"]}
    owner, subdbs = {}, {}
    walk(pages, dbs[0][7], "(freelist)", owner, written)
    walk(pages, dbs[1][7], "(main DB)", owner, written, subdbs)
    for name, root in subdbs.items():
        walk(pages, root, name, owner, written)
    totals = {}
    for c in cs:
        for pg in c["pages"]:
            name = owner.get(pg, "replaced")
            totals[name] = totals.get(name, 0) + 1
        totals["(meta)"] = totals.get("(meta)", 0) + 1
    n = max(1, len(cs))
    res = {"commits": len(cs), "pages_per_commit": {k: v / n for k, v in totals.items()},
           "total_per_commit": sum(totals.values()) / n}
    if "--json" in sys.argv:
        print(json.dumps(res))
        return
    print("%s: %d commits, %.1f pages (4 KiB) per commit" % (d, len(cs), res["total_per_commit"]))
    for k, v in sorted(res["pages_per_commit"].items(), key=lambda kv: -kv[1]):
        print("  %-14s %6.2f" % (k, v))


if __name__ == "__main__":
    main()
