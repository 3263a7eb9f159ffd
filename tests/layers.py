#!/usr/bin/python3
"""The layers of lib/ (or of another directory, ws-bridge/ say): which
file leans on which, and that none loops.

A file of the directory depends on another when it calls (or reads) a
symbol the other defines, as nm(1) reads them from the objects the build
made, or when it includes the other's header.  The graph must have no
loop, and its longest chain is the number of floors the directory has.

    tests/layers.py BUILD [DIR]    check DIR (lib); exit 1 on a loop
    tests/layers.py BUILD [DIR] -v also print every file's floor
"""

import os
import re
import subprocess
import sys


def objects(build, src):
    top = os.path.join(build, src)
    for d, _, files in os.walk(top):
        for f in sorted(files):
            if f.endswith(".o"):
                o = os.path.join(d, f)
                yield os.path.relpath(o, build)[:-2] + ".c", o


def symbols(obj):
    out = subprocess.run(["nm", obj], check=True, capture_output=True,
                         text=True).stdout
    defs, uses = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            uses.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRCVW":
            defs.add(parts[2])
    return defs, uses


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def includes(path, src):
    """The headers of src a source or header includes, as paths."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = []
    for name in INCLUDE.findall(text):
        for cand in (os.path.join(os.path.dirname(path), name),
                     os.path.join(src, name)):
            if os.path.exists(cand):
                found.append(os.path.normpath(cand))
                break
    return found


def graph(build, src):
    files = dict(objects(build, src))
    defs, uses = {}, {}
    for src, obj in files.items():
        defs[src], uses[src] = symbols(obj)
    owner = {}
    for src, ds in defs.items():
        for s in ds:
            owner[s] = src
    edges = {src: set() for src in files}
    why = {}
    for src, us in uses.items():
        for s in us:
            o = owner.get(s)
            if o is not None and o != src:
                edges[src].add(o)
                why.setdefault((src, o), s)
    # Headers: a header is a node too; a file depends on what it includes.
    headers = set()
    for d, _, fs in os.walk(src):
        for f in fs:
            if f.endswith(".h"):
                headers.add(os.path.normpath(os.path.join(d, f)))
    for h in headers:
        edges.setdefault(h, set())
    for node in list(edges):
        if os.path.exists(node):
            for inc in includes(node, src):
                if inc != node:
                    edges[node].add(inc)
                    why.setdefault((node, inc), "#include")
    return edges, why


def loops(edges):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def floors(edges):
    """Each file's floor: 1 + the highest floor of what it leans on."""
    memo = {}

    def floor(v, seen):
        if v in memo:
            return memo[v]
        if v in seen:
            return 0
        seen.add(v)
        f = 1 + max((floor(w, seen) for w in edges.get(v, ())), default=0)
        seen.discard(v)
        memo[v] = f
        return f

    for v in edges:
        floor(v, set())
    return memo


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if len(args) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    edges, why = graph(args[0], args[1].rstrip("/") if len(args) > 1
                       else "lib")
    bad = loops(edges)
    fl = floors(edges)
    if "-v" in sys.argv:
        for v in sorted(fl, key=lambda v: (fl[v], v)):
            print("%2d %s" % (fl[v], v))
    for comp in bad:
        print("layers: loop between %s" % ", ".join(comp), file=sys.stderr)
        for a in comp:
            for b in sorted(edges[a]):
                if b in comp:
                    print("    %s -> %s (%s)" % (a, b, why[(a, b)]),
                          file=sys.stderr)
    print("layers: %d files, %d floors, %d loops"
          % (len(edges), max(fl.values(), default=0), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
