"""check_man: the manual pages of docs/man lint clean and stay true (issue 18.2). Python 3
standard library, groff and mandoc (scripts/deps.sh test installs them); no stack.

  - every page passes `groff -man -ww -z` and `mandoc -Tlint -Wwarning` without a message;
  - dvcid.conf(5) documents exactly the keys of common/cmn_config.c, section by section, each
    entry opening with the key's type, range, default and whether a reload applies it (as
    cmn_config_keep_fixed decides), and lists exactly the keys an [sms.NAME] section takes;
  - each binary's man page names every option of its --help (and dvcctl(8) every command
    and every option of `dvcctl import`), and no option the binary does not take;
  - every page's .TH says the version of CMakeLists.txt.

The binaries are those of the build tree DVCID_BIN (their build names: gateway, ...).
Run: DVCID_BIN=build/release python3 tests/man/check_man.py [SRC]; exit 0 when all hold,
1 with one line per problem.
"""

import glob
import os
import re
import shutil
import subprocess
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DVCID_SRC") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BIN = os.environ.get("DVCID_BIN") or os.path.join(SRC, "build", "release")
MAN = os.path.join(SRC, "docs", "man")
# page -> the commands whose --help it documents (argv after the build tree's binary)
PAGES = {
    "dvcid-gateway.8": [["gateway", "--help"]],
    "dvcid-account-svc.8": [["account-svc", "--help"]],
    "dvcid-otp-svc.8": [["otp-svc", "--help"]],
    "dvcid-sms-worker.8": [["sms-worker", "--help"]],
    "dvcctl.8": [["dvcctl", "--help"], ["dvcctl", "import", "--help"]],
    "dvcid-load.1": [["dvcid-load", "--help"]],
}
CONF_PAGE = "dvcid.conf.5"
# Every binary takes these (docs/api.md section 1), whether or not its usage lists them.
UNIVERSAL = {"--help", "--version"}
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def plain(roff):
    """Roff source with the escapes a reader does not type removed: \\- is -, fonts go."""
    text = re.sub(r"\\f(\(..|\[[^]]*\]|.)", "", roff)
    return (text.replace("\\-", "-").replace("\\&", "").replace("\\(dq", '"')
            .replace("\\e", "\\"))


# ---- lint -------------------------------------------------------------------------------

def lint(path, problems):
    for cmd in (["groff", "-man", "-ww", "-z", path], ["mandoc", "-Tlint", "-Wwarning", path]):
        if not shutil.which(cmd[0]):
            problems.append("%s not found (scripts/deps.sh test installs it)" % cmd[0])
            continue
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           universal_newlines=True)
        if r.returncode != 0 or r.stdout.strip():
            problems.append("%s: %s says (status %d):\n%s" % (
                os.path.basename(path), " ".join(cmd[:-1]), r.returncode, r.stdout.rstrip()))


def check_version(name, roff, problems):
    version = re.search(r"project\(dvcid VERSION ([0-9.]+)", read(
        os.path.join(SRC, "CMakeLists.txt"))).group(1)
    th = re.search(r'^\.TH \S+ \S+ \S+ "dvcid ([^"]+)"', roff, re.M)
    if not th or th.group(1) != version:
        problems.append("%s: .TH names dvcid %s, CMakeLists.txt %s" % (
            name, th.group(1) if th else "no version", version))


# ---- dvcid.conf(5) against common/cmn_config.c -------------------------------------------

def c_array(text, name):
    """The string literals of `name[] = { ... };` in C text."""
    start = text.index(name + "[] = {")
    return re.findall(r'"([^"]*)"', text[start:text.index("};", start)])


def config_keys(text):
    """[(section, key, type, lo_or_values, hi, default, fixed)] of cmn_config.c's s_keys[],
    and the keys an [sms.NAME] section takes."""
    body = text[text.index("s_keys[] = {"):]
    body = body[:body.index("\n};")]
    fixed, live = c_array(text, "s_fixed"), c_array(text, "s_live_sms")

    def is_fixed(section, key):  # cmn_config.c s_is_fixed
        if section == "sms" and key in live:
            return False
        name = "%s.%s" % (section, key)
        return any(name.startswith(f) if f[-1] in "._" else name == f for f in fixed)

    out = []
    for m in re.finditer(r"\b(INT|BOOL|STR|ENUM)\((.*?)\)(?=,\s*(?:\b[A-Z]+\(|$))", body, re.S):
        args = [a.strip() for a in re.split(r',(?=(?:[^"]*"[^"]*")*[^"]*$)', m.group(2))]
        section, key = args[0].strip('"'), args[1].strip('"')
        kind = m.group(1)
        if kind == "INT":  # INT(sec, key, field, lo, hi, default): lo and hi may be 86400 * 30
            lo, hi = (eval(a, {"__builtins__": {}}) for a in args[3:5])  # digits and *
            row = (lo, hi, args[5].strip('"'))
        elif kind == "ENUM":  # ENUM(sec, key, field, default, values, unbuilt)
            row = (args[4].strip('"'), None, args[3].strip('"'))
        else:
            row = (None, None, args[3].strip('"'))
        out.append((section, key, kind) + row + (is_fixed(section, key),))
    return out, c_array(text, "s_sub_keys")


def meta_line(kind, lo, hi, default, fixed):
    """The first line of a key's entry in dvcid.conf(5), as roff."""
    d = default.replace("\\", "\\e").replace("-", "\\-")
    if kind == "INT":
        t = "Integer from %d to %d; default \\fB%s\\fR" % (lo, hi, d)
    elif kind == "BOOL":
        t = "Boolean; default \\fB%s\\fR" % d
    elif kind == "STR":
        t = "String; default \\fB%s\\fR" % d if default else "String; default empty"
    else:
        t = "One of %s; default \\fB%s\\fR" % (
            ", ".join("\\fB%s\\fR" % v for v in lo.split("|")), d)
    return t + ("; needs a restart." if fixed else "; reloads.")


def documented(roff):
    """({(section, key): first line of its entry}, [keys an [sms.NAME] section takes]) of
    the KEYS part of dvcid.conf(5)."""
    lines = roff.split("\n")
    start = lines.index(".SH KEYS")
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(".SH "))
    entries, section = {}, None
    for i in range(start, end):
        m = re.match(r'^\.SS "\[([a-zA-Z_.]+)\]"$', lines[i])
        if m:
            section = m.group(1)
        elif lines[i] == ".TP" and lines[i + 1].startswith(".B "):
            key = lines[i + 1][3:].strip()
            if (section, key) in entries:
                entries[(section, key)] = "given twice"
            else:
                entries[(section, key)] = lines[i + 2]
    part = "\n".join(lines[start:end])
    sub = part[part.find("may set these keys of"):]
    sub = sub[:sub.find(".RE")]
    return entries, re.findall(r"^\.BR? ([a-z_]+)", sub, re.M)


def check_conf(roff, c_text, problems):
    keys, sub_keys = config_keys(c_text)
    if len(keys) < 50:
        problems.append("common/cmn_config.c: the key table was not read (%d keys)" % len(keys))
    entries, sub = documented(roff)
    for section, key, kind, lo, hi, default, fixed in keys:
        line = entries.pop((section, key), None)
        want = meta_line(kind, lo, hi, default, fixed)
        if line is None:
            problems.append("%s: [%s] %s is not documented" % (CONF_PAGE, section, key))
        elif line != want:
            problems.append("%s: [%s] %s says %r; the code: %r" % (
                CONF_PAGE, section, key, line, want))
    for (section, key), line in sorted(entries.items()):
        if (section, key) != ("sms.NAME", "kind"):
            problems.append("%s: [%s] %s is no key of common/cmn_config.c" % (
                CONF_PAGE, section, key))
    if sub != sub_keys:
        problems.append("%s: [sms.NAME] takes %s; the code (s_sub_keys): %s" % (
            CONF_PAGE, ", ".join(sub), ", ".join(sub_keys)))


# ---- options --------------------------------------------------------------------------

def help_text(argv):
    exe = os.path.join(BIN, argv[0])
    if not os.access(exe, os.X_OK):
        return None
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
    r = subprocess.run([exe] + argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, env=env, timeout=30)
    return r.stdout


def dvcctl_commands(help_out):
    part = help_out[help_out.index("commands:"):]
    return re.findall(r"^  ([a-z][a-z-]+) ", part, re.M)


def check_options(name, roff, helps, problems):
    text = plain(roff)
    documented_opts = set(OPTION.findall(text))
    taken = set(UNIVERSAL)
    for argv, out in helps:
        opts = set(OPTION.findall(out))
        taken |= opts
        for opt in sorted(opts):
            if opt not in documented_opts:
                problems.append("%s: %s of `%s` is not documented" % (name, opt, " ".join(argv)))
        if argv == ["dvcctl", "--help"]:
            for cmd in dvcctl_commands(out):
                if not re.search(r"(?m)^\.B[IR]? %s(?![\w-])" % re.escape(cmd), text):
                    problems.append("%s: command %s has no entry" % (name, cmd))
    for opt in sorted(documented_opts - taken):
        problems.append("%s: %s is in the page but no --help of it names it" % (name, opt))


# ---- self-test and main ---------------------------------------------------------------------

def self_test(c_text, conf):
    """Each check finds what it is for, so a clean run means something."""
    found = []
    broken = conf.replace("\n.TP\n.B ttl\n", "\n.TP\n.B ttl_typo\n", 1)
    broken = broken.replace("default \\fB2000\\fR", "default \\fB3000\\fR", 1)
    broken = broken.replace(".BR smpp_reconnect_ms .", ".BR smpp_dream_ms .")
    check_conf(broken, c_text, found)
    for want in ("] ttl is not documented", "] ttl_typo is no key", "timeout_ms says",
                 "[sms.NAME] takes"):
        assert any(want in f for f in found), "self-test: %r not in %r" % (want, found)
    found = []
    check_options("x.8", ".TP\n.BI \\-\\-config \" FILE\"\n.B \\-\\-bogus\n",
                  [(["x", "--help"], "  --config FILE\n  --shard S\n")], found)
    assert found == ["x.8: --shard of `x --help` is not documented",
                     "x.8: --bogus is in the page but no --help of it names it"], found
    found = []
    check_options("dvcctl.8", ".TP\n.B status\n",
                  [(["dvcctl", "--help"], "commands:\n  status   x\n  unlock   ID  y\n")], found)
    assert found == ["dvcctl.8: command unlock has no entry"], found
    found = []
    check_version("x.8", '.TH X 8 2026-01-01 "dvcid 0.0.0" "m"\n', found)
    assert found and "CMakeLists.txt" in found[0], found


def main():
    problems = []
    c_text = read(os.path.join(SRC, "common", "cmn_config.c"))
    pages = sorted(os.path.basename(p) for p in glob.glob(os.path.join(MAN, "*.[158]")))
    for name in sorted(set(PAGES) | {CONF_PAGE}):
        if name not in pages:
            problems.append("docs/man/%s is missing" % name)
    for name in pages:
        roff = read(os.path.join(MAN, name))
        lint(os.path.join(MAN, name), problems)
        check_version(name, roff, problems)
        if name == CONF_PAGE:
            self_test(c_text, roff)
            check_conf(roff, c_text, problems)
        elif name in PAGES:
            helps = []
            for argv in PAGES[name]:
                out = help_text(argv)
                if out is None:
                    problems.append("%s: %s/%s is not built (DVCID_BIN)" % (name, BIN, argv[0]))
                else:
                    helps.append((argv, out))
            check_options(name, roff, helps, problems)
        else:
            problems.append("docs/man/%s: no binary of this check documents it (PAGES)" % name)
    for p in problems:
        print(p)
    print("%d problem(s) in %d manual pages" % (len(problems), len(pages)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
