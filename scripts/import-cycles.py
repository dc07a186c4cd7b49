#!/usr/bin/env python3
"""Lists import cycles between source files (issue "Rooms that show the pipeline": no
files that import each other in a loop).

An edge A -> B means A names an item of B through a `crate::...` or `super::...` path
(in `use` or in code). Comments, `#[cfg(test)]` modules and `tests.rs` files are left
out; names the crate root re-exports (`crate::Finding`) count as edges to the file
defining them. A module's own files may use each other (`eval/mod.rs` and
`eval/functions.rs` are one room: the evaluator and the functions it calls lazily
recurse into each other), so edges between a module and its submodules do not count.

Usage: scripts/import-cycles.py [SRC...]   (default: both crates' src). Exit 1 on a cycle.
"""
import os
import re
import sys


def strip(text):
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    # Test modules come last by convention: `#[cfg(test)] mod x { ... }` to the end.
    m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text)
    return text[: m.start()] if m else text


def cycles_in(src):
    files = {}
    for root, _, names in os.walk(src):
        for n in names:
            if n.endswith(".rs") and n != "tests.rs":
                rel = os.path.relpath(os.path.join(root, n), src)
                with open(os.path.join(root, n), encoding="utf-8") as fh:
                    files[rel] = strip(fh.read())
    crate_root = "lib.rs" if "lib.rs" in files else "main.rs"

    def module_file(parts):
        base = os.path.join(*parts) if parts else ""
        for cand in (base + ".rs", os.path.join(base, "mod.rs")):
            if cand in files:
                return cand
        return None

    def module_of(rel):
        p = rel[:-3].split(os.sep)
        return p[:-1] if p[-1] == "mod" else p

    root_names = {}
    pattern = r"pub use ([a-z_:]+)::\{([^}]*)\}|pub use ([a-z_:]+)::(\w+);"
    for m in re.finditer(pattern, files.get(crate_root, "")):
        if m.group(1):
            for name in m.group(2).split(","):
                root_names[name.strip()] = m.group(1).split("::")
        else:
            root_names[m.group(4)] = m.group(3).split("::")

    # Names a module file re-exports from one of its submodules (`pub use check::run;`).
    reexports = {}
    for f, text in files.items():
        names = {}
        pat = r"pub(?:\([a-z]+\))? use (?:self::)?(\w+)::(?:\{([^}]*)\}|(\w+));"
        for m in re.finditer(pat, text):
            for name in (m.group(2) or m.group(3)).split(","):
                names[name.strip().split(" as ")[-1].strip()] = m.group(1)
        reexports[f] = names

    def resolve(parts, depth=0):
        if parts and parts[0] in root_names and module_file(parts[:1]) is None:
            parts = root_names[parts[0]] + parts[1:]
        for k in range(len(parts), 0, -1):
            f = module_file(parts[:k])
            if f:
                # A name the module re-exports is its submodule's.
                child = reexports.get(f, {}).get(parts[k]) if k < len(parts) else None
                if child and depth < 8 and module_file(parts[:k] + [child]):
                    return resolve(parts[:k] + [child] + parts[k:], depth + 1)
                return f
        return None

    def related(a, b):
        ma, mb = module_of(a), module_of(b)
        return ma[: len(mb)] == mb or mb[: len(ma)] == ma

    edges = {f: set() for f in files}
    for f, text in files.items():
        if f == crate_root:
            continue
        here = module_of(f)
        paths = []
        for m in re.finditer(r"\bcrate::((?:\w+::)*\w+)(?:::\{([^}]*)\})?", text):
            base = m.group(1).split("::")
            items = m.group(2).split(",") if m.group(2) else [None]
            for item in items:
                item = item.strip().split(" as ")[0].strip() if item else None
                paths.append(base + item.split("::") if item and item != "self" else base)
        for m in re.finditer(r"\b((?:super::)+)((?:\w+::)*\w+)", text):
            ups = m.group(1).count("super")
            paths.append(here[: len(here) - ups] + m.group(2).split("::"))
        for p in paths:
            t = resolve(p)
            if t and t != f and t != crate_root and not related(f, t):
                edges[f].add(t)

    found, seen = [], set()

    def dfs(node, stack):
        for nxt in sorted(edges[node]):
            if nxt in stack:
                cyc = stack[stack.index(nxt):]
                if frozenset(cyc) not in seen:
                    seen.add(frozenset(cyc))
                    found.append(cyc + [nxt])
            elif len(stack) < 40:
                dfs(nxt, stack + [nxt])

    for f in sorted(files):
        dfs(f, [f])
    for c in found:
        print(f"{src}: " + " -> ".join(c))
    print(f"{src}: {len(found)} cycle(s) among {len(files)} files", file=sys.stderr)
    return found


here_dir = os.path.dirname(os.path.abspath(__file__))
srcs = sys.argv[1:] or [
    os.path.join(here_dir, "..", "crates", "mtlsguard-analyzer", "src"),
    os.path.join(here_dir, "..", "crates", "mtlsguard", "src"),
]
total = sum(len(cycles_in(os.path.normpath(s))) for s in srcs)
sys.exit(1 if total else 0)
