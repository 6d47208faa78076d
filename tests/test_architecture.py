"""The one-way architecture: video -> pose -> track -> events -> metrics -> flags -> report -> export -> pipeline.

Each stage imports only stages before it; the analytic core never imports the model, the decoder or
the front ends. The shared vocabulary (``gait.errors``, ``gait.notes``, ``gait.skeleton``) imports
nothing else of ``gait``; ``gait.config``, ``gait.validate`` and ``gait.compare`` stay below the
pipeline; the front ends (``gait.cli``, ``gait.web``, ``gait.batch``) call ``gait.pipeline`` and
import no stage package; and no module of ``gait`` takes part in an import cycle.

Checked on the source, from the AST of every module. The layer rules count every import anywhere
in a module: inside functions and inside ``if TYPE_CHECKING:`` blocks too (a type-only import is
still a dependency on that layer). The cycle rule counts imports at module level and inside
functions (a lazy import is still a cycle, only deferred) but not those inside
``if TYPE_CHECKING:`` blocks, which never run. ``from a import b`` counts as an import of the
module ``a.b`` when there is one, else of ``a``; importing a submodule is not counted as importing
its parent package (every package's ``__init__`` imports its own submodules).

Today's exceptions are named in :data:`KNOWN_VIOLATIONS` and :data:`KNOWN_CYCLE_EDGES`; the tests
fail on any new one and on any entry that is no longer needed, so the lists only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gait"

#: Third-party packages that only the model, decoder, batch and web layers may use.
HEAVY = ("mediapipe", "cv2", "av", "ray", "fastapi")
#: The analysis stages, in the order data flows through them.
STAGES = (
    "gait.video",
    "gait.pose",
    "gait.track",
    "gait.events",
    "gait.metrics",
    "gait.flags",
    "gait.report",
    "gait.export",
)
#: The front ends: they call gait.pipeline and nothing below it.
FRONT_ENDS = ("gait.cli", "gait.web", "gait.batch")
#: Every part of the package but the shared vocabulary.
_ABOVE_VOCABULARY = (
    *STAGES,
    "gait.pipeline",
    "gait.session",
    "gait.config",
    "gait.validate",
    "gait.compare",
    *FRONT_ENDS,
)

#: What each part of the package must never import (gait modules or third-party top-level names).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "gait.video": ("gait.pose", "gait.track", "gait.events", "gait.metrics", "gait.flags", "gait.report",
                   "gait.pipeline", "gait.web", "gait.batch", "gait.cli", "mediapipe", "gait.export"),
    "gait.track": ("gait.pose", "gait.video", "gait.events", "gait.metrics", "gait.flags", "gait.report",
                   "gait.pipeline", "gait.web", "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "gait.export"),
    "gait.events": ("gait.pose", "gait.video", "gait.metrics", "gait.flags", "gait.report", "gait.pipeline",
                    "gait.web", "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "ray", "fastapi", "gait.export"),
    "gait.metrics": ("gait.pose", "gait.video", "gait.flags", "gait.report", "gait.pipeline", "gait.web",
                     "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "ray", "fastapi", "gait.export"),
    "gait.flags": ("gait.pose", "gait.video", "gait.events", "gait.metrics", "gait.report", "gait.pipeline",
                   "gait.web", "gait.batch", "gait.cli", "mediapipe", "cv2", "av", "ray", "fastapi", "gait.export"),
    "gait.report": (
        "gait.pose", "gait.pipeline", "gait.web", "gait.batch", "gait.cli", "mediapipe", "ray", "fastapi", "gait.export"
    ),
    "gait.export": ("gait.pose", "gait.video", "gait.pipeline", "gait.web", "gait.batch", "gait.cli",
                    "mediapipe", "ray", "fastapi"),
    "gait.pipeline": ("gait.web", "gait.batch", "gait.cli", "ray", "fastapi"),
    "gait.session": ("gait.web", "gait.batch", "gait.cli", "ray", "fastapi"),
    # the stages' parameter classes sit below the configuration; the video reader checks options
    # against config.BOUNDS, so config must not reach back to it
    "gait.config": ("gait.video", "gait.flags", "gait.report", "gait.export", "gait.pipeline", "gait.session",
                    "gait.validate", "gait.compare", *FRONT_ENDS, *HEAVY),
    # the harness runs the stages on mocap: no model, no decoder, no pipeline, no front end
    "gait.validate": ("gait.pose", "gait.video", "gait.report", "gait.export", "gait.pipeline", "gait.session",
                      *FRONT_ENDS, *HEAVY),
    # compares finished reports: nothing that computes one
    "gait.compare": ("gait.video", "gait.pose", "gait.export", "gait.pipeline", "gait.session", "gait.validate",
                     *FRONT_ENDS, *HEAVY),
    "gait.errors": (*_ABOVE_VOCABULARY, "gait.notes", "gait.skeleton", *HEAVY),
    "gait.notes": (*_ABOVE_VOCABULARY, *HEAVY),
    "gait.skeleton": (*_ABOVE_VOCABULARY, *HEAVY),
    "gait.cli": ("mediapipe", "cv2", "av", "ray", "fastapi"),
    "gait.web": ("gait.batch", "gait.cli", "mediapipe", "ray"),
    "gait.batch": ("gait.web", "gait.cli", "mediapipe", "fastapi"),
}

#: The only modules allowed to import these third-party packages.
ONLY_IN = {"mediapipe": "gait.pose._mediapipe", "ray": "gait.batch._ray"}

#: Front-end modules that import a stage package today (module -> the stage modules it imports).
#: The rule: a front end calls gait.pipeline only. Remove an entry once its imports are gone.
KNOWN_VIOLATIONS: dict[str, tuple[str, ...]] = {}

#: Import edges (importer, imported) that close today's cycles; remove an entry once it closes no
#: cycle. (The stages now read the option bounds from the leaf module gait.bounds, which closed the
#: last two, through gait.config.)
KNOWN_CYCLE_EDGES: frozenset[tuple[str, str]] = frozenset()


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


PATHS = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _walk(node: ast.AST, *, type_checking: bool) -> Iterator[ast.AST]:
    """Every node below ``node``; without ``type_checking``, skipping ``if TYPE_CHECKING:`` bodies."""
    for child in ast.iter_child_nodes(node):
        if not type_checking and _is_type_checking(child):
            for other in child.orelse:
                yield other
                yield from _walk(other, type_checking=type_checking)
            continue
        yield child
        yield from _walk(child, type_checking=type_checking)


@cache
def _imports(module: str, *, type_checking: bool = True) -> dict[str, int]:
    """Modules (gait modules resolved, third-party as written) imported by ``module`` -> first line."""
    path = PATHS[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: dict[str, int] = {}
    for node in _walk(ast.parse(path.read_text(), filename=str(path)), type_checking=type_checking):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.setdefault(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                found.setdefault(sub if sub in PATHS else source, node.lineno)
    return found


MODULES = {mod: set(_imports(mod)) for mod in PATHS}


def _under(name: str, parts: tuple[str, ...] | list[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in parts)


def _hits(imported: set[str], banned: tuple[str, ...]) -> list[str]:
    return sorted(i for i in imported if _under(i, banned))


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_stage_imports_only_earlier_stages(stage: str) -> None:
    offenders = {
        mod: _hits(imported, FORBIDDEN[stage])
        for mod, imported in MODULES.items()
        if _under(mod, (stage,)) and _hits(imported, FORBIDDEN[stage])
    }
    assert offenders == {}


@pytest.mark.parametrize(("package", "home"), sorted(ONLY_IN.items()))
def test_heavy_dependency_is_imported_in_one_module(package: str, home: str) -> None:
    users = sorted(mod for mod, imported in MODULES.items() if _hits(imported, (package,)))
    assert users == [home]


def _front_end_violations() -> dict[str, dict[str, int]]:
    """Front-end module -> {stage module it imports: first line}."""
    out: dict[str, dict[str, int]] = {}
    for mod in PATHS:
        if _under(mod, FRONT_ENDS):
            hits = {i: line for i, line in _imports(mod).items() if _under(i, STAGES)}
            if hits:
                out[mod] = hits
    return out


def test_front_ends_call_the_pipeline_and_import_no_stage() -> None:
    found = _front_end_violations()
    where = {
        mod: [f"{PATHS[mod].relative_to(PACKAGE.parent)}:{line} {i}" for i, line in hits.items()]
        for mod, hits in found.items()
    }
    new = {m: sorted(set(h) - set(KNOWN_VIOLATIONS.get(m, ()))) for m, h in found.items()}
    new = {m: h for m, h in new.items() if h}
    assert new == {}, f"front ends importing a stage (call gait.pipeline instead): {where}"
    gone = {
        m: sorted(set(h) - set(found.get(m, {}))) for m, h in KNOWN_VIOLATIONS.items()
    }
    gone = {m: h for m, h in gone.items() if h}
    assert gone == {}, "fixed: remove these from KNOWN_VIOLATIONS"


def _graph(without: frozenset[tuple[str, str]] = frozenset()) -> dict[str, set[str]]:
    """Import graph of the package's modules (module level and in functions, no TYPE_CHECKING)."""
    return {
        mod: {
            i
            for i in _imports(mod, type_checking=False)
            if i in PATHS and i != mod and (mod, i) not in without
        }
        for mod in PATHS
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _path(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A shortest import path from ``start`` to ``goal`` (breadth first), or None."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    for here in queue:
        if here == goal:
            path = [here]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])  # type: ignore[arg-type]
            return path[::-1]
        for nxt in sorted(graph[here]):
            if nxt not in previous:
                previous[nxt] = here
                queue.append(nxt)
    return None


def test_no_import_cycles_anywhere_in_gait() -> None:
    graph = _graph(KNOWN_CYCLE_EDGES)
    cycles = _cycles(graph)
    shown = []
    for component in cycles:
        a = component[0]
        b = next(w for w in sorted(graph[a]) if w in component)
        back = _path(graph, b, a)
        shown.append(" -> ".join([a, *(back or [b])]))
    assert shown == [], "import cycles (break them, e.g. by moving shared names to a lower module)"


def test_every_known_cycle_edge_still_closes_a_cycle() -> None:
    graph = _graph()
    stale = sorted(
        (a, b) for a, b in KNOWN_CYCLE_EDGES if b not in graph.get(a, set()) or _path(graph, b, a) is None
    )
    assert stale == [], "no cycle through these any more: remove them from KNOWN_CYCLE_EDGES"


def test_the_scan_sees_the_package() -> None:
    assert "gait.pose._mediapipe" in MODULES and "mediapipe" in MODULES["gait.pose._mediapipe"]
    assert len(MODULES) > 50
    for part in ("gait.config", "gait.validate", "gait.compare", "gait.notes", "gait.errors",
                 "gait.skeleton", "gait.cli", "gait.web", "gait.batch", "gait.pipeline"):
        assert part in MODULES, f"{part} is gone: update the rules of this file"


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(graph) == [["a", "b", "c"]]
    assert _path(graph, "b", "a") == ["b", "c", "a"]
