"""check_docs: the docs tell the truth about the repository (issue 18.2). Python 3
standard library only; no build, no stack.

  - every relative Markdown link and image of README.md, deploy/README.md and docs/*.md
    resolves to a file inside the repository (a clean clone), and a "#anchor" to a
    heading of that file;
  - every backticked path under a top-level folder of the repository (`deploy/dev.conf`,
    `tests/integration/test_shards.py`) names a file or folder that exists, and none
    starting with "../" leaves the repository;
  - a section cited as README "Name" or deploy/README.md "Name" is a heading or a bold
    lead paragraph ("**Name.**") of that file;
  - README's configuration table names every key of common/cmn_config.c, and its dvcctl
    lines every command of tools/dvcctl/main.c; deploy/README.md's table every file of
    deploy/.

Run: python3 tests/docs/check_docs.py [SRC]; exit 0 when all hold, 1 with one line per
problem.
"""

import glob
import os
import re
import sys

SRC = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DVCID_SRC") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
TICKED = re.compile(r"`([A-Za-z0-9_.@/-]+)`")
CITED = re.compile(r"(?<![\w/.-])(README\.md|README|deploy/README\.md)\s+\"([^\"]+)\"")


def docs():
    out = ["README.md", "deploy/README.md"] + sorted(
        os.path.relpath(p, SRC) for p in glob.glob(os.path.join(SRC, "docs", "*.md")))
    return [p for p in out if os.path.isfile(os.path.join(SRC, p))]


def read(rel):
    with open(os.path.join(SRC, rel), encoding="utf-8") as f:
        return f.read()


def prose(text):
    """text without its fenced code blocks (kept as blank lines, so line numbers hold)."""
    out, fenced = [], False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


def slug(heading):
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to '-'."""
    s = re.sub(r"[`*_]", "", heading.strip().lower())
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def headings(text):
    return [m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+)$", prose(text), re.M)]


def leads(text):
    """Bold lead paragraphs and bold items: "**Name.**" or "- **Name**"."""
    return [m.group(1).strip().rstrip(".:") for m in re.finditer(r"\*\*([^*]+)\*\*", text)]


def check_links(rel, text, problems):
    base = os.path.dirname(os.path.join(SRC, rel))
    for n, line in enumerate(prose(text).split("\n"), 1):
        for m in LINK.finditer(line):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                continue  # http:, https:, mailto:
            path, _, anchor = target.partition("#")
            full = os.path.normpath(os.path.join(base, path)) if path else os.path.join(
                SRC, rel)
            where = "%s:%d: link %s" % (rel, n, target)
            if os.path.commonpath([full, SRC]) != SRC:
                problems.append("%s points outside the repository" % where)
            elif not os.path.exists(full):
                problems.append("%s: no such file" % where)
            elif anchor and full.endswith(".md"):
                with open(full, encoding="utf-8") as f:
                    if anchor not in {slug(h) for h in headings(f.read())}:
                        problems.append("%s: no heading with that anchor" % where)


def check_paths(rel, text, problems):
    tops = {d for d in os.listdir(SRC) if os.path.isdir(os.path.join(SRC, d))
            and not d.startswith(".") and d != "build"}
    for n, line in enumerate(text.split("\n"), 1):
        for m in TICKED.finditer(line):
            token = m.group(1).rstrip(".,:")
            if token.startswith("../"):
                full = os.path.normpath(os.path.join(SRC, os.path.dirname(rel), token))
                if os.path.commonpath([full, SRC]) != SRC:
                    problems.append("%s:%d: `%s` points outside the repository" % (
                        rel, n, token))
                continue
            first = token.split("/", 1)[0]
            if "/" not in token or first not in tops or "*" in token:
                continue
            path = token.split("@", 1)[0]
            if not os.path.exists(os.path.join(SRC, path)):
                problems.append("%s:%d: `%s`: no such file in the repository" % (rel, n, token))


def check_citations(rel, text, problems):
    cache = {}
    for n, line in enumerate(text.split("\n"), 1):
        for m in CITED.finditer(line):
            target = "deploy/README.md" if m.group(1).startswith("deploy") else "README.md"
            if target not in cache:
                t = read(target)
                names = headings(t) + leads(t)
                # "Live reload" cites "Live reload (SIGHUP)"
                cache[target] = {h.rstrip(".") for h in names} | {
                    re.sub(r"\s*\(.*\)$", "", h) for h in names}
            if m.group(2).rstrip(".") not in cache[target]:
                problems.append("%s:%d: %s has no section \"%s\"" % (
                    rel, n, target, m.group(2)))


def check_config_table(problems, readme=None):
    keys = set(re.findall(r"^\s*[A-Z_]+\(\"([a-z._]+)\", \"([a-z_0-9]+)\"",
                          read("common/cmn_config.c"), re.M))
    if len(keys) < 50:
        problems.append("common/cmn_config.c: the key table was not read (%d keys)" % len(keys))
    rows = dict(re.findall(r"^\| `\[([a-z.]+)\]` \| (.*) \|$", readme or read("README.md"),
                           re.M))
    for section, key in sorted(keys):
        if "`%s`" % key not in rows.get(section, ""):
            problems.append("README.md \"Configuration\": [%s] %s is not in the table"
                            % (section, key))


def check_dvcctl(problems, readme=None):
    text = read("tools/dvcctl/main.c")
    table = text[text.index("s_cmds[] = {"):]
    cmds = re.findall(r"^\s*\{\"([a-z-]+)\", dvcctl_", table[:table.index("\n};")], re.M)
    if len(cmds) < 5:
        problems.append("tools/dvcctl/main.c: the command table was not read")
    # What README shows of dvcctl: its code spans and code lines that start with it.
    readme = readme or read("README.md")
    shown = re.findall(r"`(dvcctl [^`]*)`", readme) + re.findall(r"^\s*(dvcctl .*)$", readme,
                                                               re.M)
    words = {w for span in shown for w in re.split(r"[\s|\[\]]+", span)}
    for cmd in cmds:
        if cmd not in words:
            problems.append("README.md: dvcctl %s is not described" % cmd)


def check_deploy_table(problems):
    """deploy/README.md's first table names every file of deploy/."""
    text = read("deploy/README.md")
    table = text[:text.index("\n\n", text.index("| file |"))]
    for name in sorted(os.listdir(os.path.join(SRC, "deploy"))):
        if not name.startswith(".") and "`%s`" % name not in table:
            problems.append("deploy/README.md: deploy/%s is not in the table of files" % name)


def self_test():
    """Each check finds what it is for (so a clean run means something)."""
    bad = ("[a](../outside.md) [b](docs/none.md) [c](docs/api.md#no-such-heading)\n"
           "`deploy/none.conf` `../../elsewhere/api.md` README \"No such section\"\n"
           "| `[otp]` | `ttl` |\n`dvcctl status`\n")
    found = []
    check_links("README.md", bad, found)
    check_paths("README.md", bad, found)
    check_citations("README.md", bad, found)
    n = len(found)
    check_config_table(found, bad)
    check_dvcctl(found, bad)
    want = ["points outside", "no such file", "no heading", "`deploy/none.conf`",
            "`../../elsewhere/api.md`", "no section"]
    missing = [w for w in want if not any(w in f for f in found[:n])]
    assert not missing and n == len(want), "self-test: %r in %r" % (missing, found[:n])
    assert any("[otp] length" in f for f in found[n:]), found[n:]
    assert not any("[otp] ttl" in f for f in found[n:]), found[n:]
    assert any("dvcctl unlock" in f for f in found[n:]), found[n:]
    assert "README.md: dvcctl status is not described" not in found[n:], found[n:]


def main():
    self_test()
    problems = []
    for rel in docs():
        text = read(rel)
        check_links(rel, text, problems)
        check_paths(rel, text, problems)
        check_citations(rel, text, problems)
    check_config_table(problems)
    check_dvcctl(problems)
    check_deploy_table(problems)
    for p in problems:
        print(p)
    print("%d problem(s) in %s" % (len(problems), ", ".join(docs())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
