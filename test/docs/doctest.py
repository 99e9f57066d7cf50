#!/usr/bin/env python3
"""The documentation as a test: every SQL block of the given Markdown files
runs, in order, in one database holding the demo data, as a reader following
the text would run it.

    test/docs/doctest.py README.md docs/*.md

Connects with libpq's environment (PGHOST, PGPORT, PGUSER: a throwaway
cluster, never a shared one), drops and creates the database clv_docs, loads
the demo data with the command the README gives the reader
(psql -f demo/generate.sql), then runs each ```sql block with psql.

- A block fails the test when psql reports an error.
- A ```sql block followed (after blank lines only) by a ```text block shows
  its output: psql's output of the block must be that text, line for line
  (trailing spaces aside).
- A block that cannot run here is marked on the line before it with
  <!-- doctest: skip (the reason) -->; the reason is required and printed.

--update writes what the blocks print into their ```text blocks instead of
comparing (for an author: then read the diff).

Blocks run with the session's TimeZone set to UTC (CLV_DOCTEST_TZ names
another: test/system/time_zones.sh runs them from +14 and -11 under fake clocks,
where they must print the same, as the README says no figure depends on it).
Exits 0 when every block ran and matched, 1 otherwise.
"""
import os
import re
import subprocess
import sys

DATABASE = "clv_docs"
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
SKIP = re.compile(r"^<!--\s*doctest:\s*skip\s*\((.+)\)\s*-->\s*$")


def blocks(path):
    """The fenced blocks of a Markdown file (indented ones in lists too):
    (line, info, text, skip reason, the last line before it, its content lines)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        start, indent = i, m.group(1)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            sys.exit(f"{path}:{start + 1}: a code block is never closed")
        before = start - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        skip = SKIP.match(lines[before].strip()) if before >= 0 else None
        body = [line[len(indent):] if line.startswith(indent) else line for line in lines[start + 1:j]]
        found.append((start + 1, m.group(2), "\n".join(body) + ("\n" if body else ""),
                      skip.group(1) if skip else None, before, (start + 1, j, indent)))
        i = j + 1
    return found, lines


def psql(database, text=None, args=(), check=True):
    env = dict(os.environ, PGTZ=os.environ.get("CLV_DOCTEST_TZ", "UTC"), PGOPTIONS="-c client_min_messages=warning")
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-P", "pager=off", "-d", database, *args],
                          input=text, text=True, capture_output=True, env=env, check=check)


def normalised(text):
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def main(args):
    update = "--update" in args
    paths = [a for a in args if a != "--update"]
    if not paths:
        sys.exit("usage: test/docs/doctest.py [--update] FILE.md...")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    psql("postgres", args=("-c", f"DROP DATABASE IF EXISTS {DATABASE}", "-c", f"CREATE DATABASE {DATABASE}"))
    psql(DATABASE, args=("-f", os.path.join(root, "demo", "generate.sql")))
    ran = compared = 0
    skipped = []
    for path in paths:
        found, lines = blocks(path)
        replacements = []
        for k, (line, info, text, skip, _, _) in enumerate(found):
            if info != "sql":
                continue
            if skip:
                skipped.append(f"{path}:{line}: {skip}")
                continue
            result = psql(DATABASE, text, check=False)
            if result.returncode != 0:
                print(f"not ok: {path}:{line}: the block fails\n{text}{result.stderr}", file=sys.stderr)
                return 1
            ran += 1
            if k + 1 < len(found) and found[k + 1][1] == "text" and found[k + 1][4] == line + text.count("\n"):
                expected = found[k + 1][2]
                if update:
                    first, end, indent = found[k + 1][5]
                    printed = [indent + l if l else l for l in normalised(result.stdout)]
                    replacements.append((first, end, printed))
                elif normalised(result.stdout) != normalised(expected):
                    print(f"not ok: {path}:{line}: the block's output differs from the text at line "
                          f"{found[k + 1][0]}\n--- shown\n{expected}--- printed\n{result.stdout}", file=sys.stderr)
                    return 1
                compared += 1
        if replacements:
            for first, end, printed in reversed(replacements):
                lines[first:end] = printed
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines))
    for s in skipped:
        print(f"skipped: {s}")
    print(f"docs: {ran} SQL blocks ran ({compared} with their output {'written' if update else 'compared'}), "
          f"{len(skipped)} skipped, in {', '.join(paths)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
