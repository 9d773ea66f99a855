#!/usr/bin/env python3
"""check-names: every function or variable a file exports carries that file's name.

House style (style.md point 2): a symbol is <prefix>_<class>_<verb> and lives in the file
of its class, so `grep`ing is never needed to find where gw_reset_build_start is: the
second word of an exported symbol (its class) is one of the words of its file's name
after the prefix (gw_reset_* in gw_routes_reset.c, cmn_peers_* in cmn_service_peers.c;
a plural file, cmn_asks.c, holds the singular class too). The symbols are read with nm
from the objects of a built tree (compile_commands.json names them), so only what the
linker sees counts: statics are free.

    scripts/check-names.py [BUILD]    BUILD defaults to build/release; exit 1 on a finding

KNOWN lists the places that break the rule today and why; a new one is a finding. Take
an entry out when its file is put right.
"""
import json
import os
import shlex
import subprocess
import sys

# The folders checked (sms-worker/ and tools/loadgen/ are next, once their renames of
# issue 16 land: lg_opts_* in lg_help.c, lg_profile_* in lg_sched.c, lg_err_* in lg_tally.c,
# lg_conn_* and lg_target_* in lg_http.c, lg_step_* in lg_flow.c).
DIRS = ("gateway", "account-svc", "otp-svc", "common", "tools/dvcctl")

# (file, class word): exported from that file under another class's name.
KNOWN = {
    # Named by operation, like libsodium's crypto_<op> (style.md): seal, hash, key, ...
    ("common/cmn_crypto.c", c) for c in ("hash", "key", "random", "seal", "unseal", "wipe")
} | {
    # The validators move to account-svc (issue 16 part 1), where they get a class.
    ("common/cmn_validate.c", "name"),
    ("common/cmn_validate.c", "password"),
    ("common/cmn_validate.c", "utf8"),
    # One function per dvcctl command or helper, named by what it does.
    ("tools/dvcctl/dvcctl_account.c", "rotate"),
    ("tools/dvcctl/dvcctl_account.c", "unlock"),
    ("tools/dvcctl/dvcctl_shard.c", "call"),
    ("tools/dvcctl/dvcctl_sms.c", "dead"),
    ("tools/dvcctl/dvcctl_sms_status.c", "time"),
    ("tools/dvcctl/dvcctl_status.c", "call"),
    # acct_step's replies and validation details (the lead's acct_step, issue 16 part 2).
    ("account-svc/acct_step.c", "details"),
    ("account-svc/acct_step.c", "reply"),
}


def s_fits(sym, stem):
    s, w = stem.split("_"), sym.split("_")
    if len(w) < 2 or w[0] != s[0]:
        return False
    if len(s) == 1:  # a file named by its prefix alone (dvcctl.c)
        return True
    words = set(s[1:])
    return w[1] in words or w[1] + "s" in words or w[1].rstrip("s") in words or (
        # cmn_valid_* in cmn_validate.c
        any(x.startswith(w[1]) and len(w[1]) >= 4 for x in words))


def main():
    root = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    build = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "build/release"))
    db = os.path.join(build, "compile_commands.json")
    if not os.path.isfile(db):
        print(f"check-names: {db} not found: configure and build first", file=sys.stderr)
        return 1
    findings, seen, used = [], set(), set()
    for e in json.load(open(db)):
        src = os.path.realpath(os.path.join(e["directory"], e["file"]))
        rel = os.path.relpath(src, root)
        if (not any(rel.startswith(d + os.sep) for d in DIRS) or os.path.basename(rel) == "main.c"
                or rel in seen):
            continue
        seen.add(rel)
        args = shlex.split(e["command"]) if "command" in e else e["arguments"]
        obj = os.path.join(e["directory"], e.get("output") or args[args.index("-o") + 1])
        if not os.path.isfile(obj):
            print(f"check-names: {obj} not built", file=sys.stderr)
            return 1
        out = subprocess.run(["nm", "--defined-only", "-g", obj], capture_output=True, text=True,
                             check=True).stdout
        stem = os.path.basename(rel)[:-2]
        for line in out.splitlines():
            sym = line.split()[-1]
            if not sym[:1].islower() or s_fits(sym, stem):
                continue
            cls = sym.split("_")[1] if "_" in sym else sym
            if (rel, cls) in KNOWN:
                used.add((rel, cls))
                continue
            findings.append(f"{rel}: exports {sym}: its class '{cls}' is not in the file's name")
    for rel, cls in sorted(KNOWN - used):
        if rel in seen:
            findings.append(f"{rel}: KNOWN lists class '{cls}', which it no longer exports: "
                            "take the entry out (scripts/check-names.py)")
    for f in findings:
        print(f)
    print(f"check-names: {len(seen)} files, {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
