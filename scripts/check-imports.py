#!/usr/bin/env python3
"""Fail when the files of a Rust source tree import each other in a circle.

Usage: scripts/check-imports.py crates/core/src web/src ...

Each file is a module (`lib.rs`/`main.rs` the crate root, `x/mod.rs` the module `x`, `x/y.rs`
the module `x::y`). A file depends on the modules its code names through `crate::…` and
`super::…` paths (comments and doc links do not count; a path to an item re-exported by the crate
root or by a module file counts as a dependency on that file). `mod` declarations are not
dependencies. Prints every cycle found and exits 1, or prints the module count and exits 0.
Run by scripts/test.sh.
"""
import pathlib
import re
import sys


def module_name(root: pathlib.Path, f: pathlib.Path) -> str:
    rel = f.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts in (["lib"], ["main"]):
        return "crate"
    if parts[-1] == "mod":
        parts = parts[:-1]
    return "::".join(parts)


def code_lines(text: str):
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("//"):
            continue
        # drop trailing comments and string contents (rough, enough for paths)
        s = re.sub(r'"(\\.|[^"\\])*"', '""', s)
        s = s.split("//")[0]
        yield s


def deps_of(mod: str, text: str, modules: set) -> set:
    out = set()
    parent = mod.rsplit("::", 1)[0] if "::" in mod else "crate"
    inline_depth = None  # brace depth where an inline `mod x { … }` began (its `super` is this file)
    depth = 0
    for line in code_lines(text):
        opens, closes = line.count("{"), line.count("}")
        if inline_depth is None and re.match(r"(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{", line):
            inline_depth = depth
            depth += opens - closes
            continue
        depth += opens - closes
        if inline_depth is not None and depth <= inline_depth:
            inline_depth = None
        if line.startswith(("mod ", "pub mod ", "pub(crate) mod ")):
            continue
        in_inline = inline_depth is not None
        # `use child::…` (and `pub use`) inside a module names its child modules directly.
        m = re.match(r"(?:pub(?:\([^)]*\))?\s+)?use\s+(\w+)::", line)
        if m and m.group(1) not in ("crate", "super", "self", "std", "core", "alloc"):
            child = (mod + "::" + m.group(1)) if mod != "crate" else m.group(1)
            if child in modules:
                out.add(child)
        for m in re.finditer(r"\b(crate|super)((?:::\w+)+|::\{[^}]*\}|::\*)", line):
            if m.group(1) == "super" and in_inline:
                continue  # `super` of an inline module is this file
            base = "" if m.group(1) == "crate" else ("" if parent == "crate" else parent)
            rest = m.group(2)
            names = []
            if rest.startswith("::{"):
                names = [n.strip().split("::")[0] for n in rest[3:-1].split(",") if n.strip()]
                names = [n for n in names if n not in ("self", "*")]
                targets = [(base + "::" + n if base else n) for n in names] or [base or "crate"]
            elif rest == "::*":
                targets = [base or "crate"]
            else:
                segs = rest.strip(":").split("::")
                # the longest prefix that names a module
                t = base or "crate"
                cur = base
                for seg in segs:
                    cand = (cur + "::" + seg) if cur else seg
                    if cand in modules:
                        t = cand
                        cur = cand
                    else:
                        break
                targets = [t]
            for t in targets:
                if t not in modules:
                    t = base or "crate"
                if t != mod:
                    out.add(t)
    return out


def cycles(graph: dict):
    found, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(graph.get(n, ())):
            if state.get(d) == 1:
                found.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)
    return found


def main(roots):
    bad = False
    for r in roots:
        root = pathlib.Path(r)
        files = sorted(root.rglob("*.rs"))
        mods = {module_name(root, f): f for f in files}
        graph = {m: deps_of(m, f.read_text(), set(mods)) for m, f in mods.items()}
        cyc = cycles(graph)
        if cyc:
            bad = True
            for c in cyc:
                print(f"{r}: import circle: {' -> '.join(c)}")
        else:
            print(f"{r}: {len(mods)} modules, no import circle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["crates/core/src", "web/src"]))
