"""The layout's import rules, read from the code (every import, at any depth).

- Top-level packages import only packages of a lower rank: ``ml`` and ``publish`` (the
  libraries) < ``quality`` and ``reports`` < ``assets`` < ``pipelines`` < ``cli``; packages of
  one rank never import each other.
- Inside ``ml`` the same holds for its layers (``LAYERS``), and ``ml`` never imports dagster.
- ``assets.resources`` is a leaf of the Dagster side: it imports no other project module
  outside the libraries.
- No module-level import cycle anywhere.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RANKS = {"ml": 0, "publish": 0, "quality": 1, "reports": 1, "assets": 2, "pipelines": 3, "cli": 4}
LAYERS = {
    "ml.device": 0,
    "ml.artifacts": 0,
    "ml.text": 0,
    "ml.data": 1,
    "ml.recsys": 2,
    "ml.content": 2,
    "ml.vision": 2,
    "ml.sentiment": 3,
    "ml.vibe": 3,
    "ml.hybrid": 4,
    "ml.tenants": 5,
    "ml.experiments": 6,
}
LEAVES = {"assets.resources": {"ml", "publish"}}
FORBIDDEN_IN_ML = ("dagster",)


def modules(root: Path) -> dict[str, Path]:
    out = {}
    for package in RANKS:
        for f in sorted((root / package).rglob("*.py")):
            name = ".".join(f.relative_to(root).with_suffix("").parts)
            out[name.removesuffix(".__init__")] = f
    return out


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported name) for every absolute import; ``from a import b`` gives ``a.b``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def _unit(module: str, table: dict[str, int]) -> str | None:
    return next((u for u in table if module == u or module.startswith(u + ".")), None)


def violations(root: Path) -> list[str]:
    """Every broken rule, as ``file:line: message``; empty when the layout holds."""
    known = modules(root)
    problems, graph = [], {m: set() for m in known}
    for module, path in known.items():
        where = path.relative_to(root)
        top = module.split(".")[0]
        for line, name in imports(path):
            if top == "ml" and name.split(".")[0] in FORBIDDEN_IN_ML:
                problems.append(f"{where}:{line}: ml imports {name}")
            target = _resolve(name, known)
            if target is None or target == module:
                continue
            graph[module].add(target)
            other = target.split(".")[0]
            if other != top and RANKS[other] >= RANKS[top]:
                problems.append(f"{where}:{line}: {top} (rank {RANKS[top]}) imports {target}")
            if top == "ml" and other == "ml":
                mine, theirs = _unit(module, LAYERS), _unit(target, LAYERS)
                if mine is None or theirs is None:
                    problems.append(f"{where}:{line}: {module} or {target} is in no layer")
                elif mine != theirs and LAYERS[theirs] >= LAYERS[mine]:
                    problems.append(
                        f"{where}:{line}: {mine} (layer {LAYERS[mine]}) imports {theirs} "
                        f"(layer {LAYERS[theirs]})"
                    )
            allowed = LEAVES.get(module)
            if allowed is not None and other not in allowed:
                problems.append(f"{where}:{line}: leaf {module} imports {target}")
    problems += [f"import cycle: {' -> '.join(c)}" for c in _cycles(graph)]
    return problems


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on:
                low[node] = min(low[node], index[child])
    return out


def test_the_project_keeps_its_import_rules() -> None:
    assert violations(ROOT) == []


def test_every_ml_module_is_in_a_layer() -> None:
    unplaced = [m for m in modules(ROOT) if m.startswith("ml.") and _unit(m, LAYERS) is None]
    assert unplaced == []


def _copy_tree(tmp_path: Path) -> Path:
    for package in RANKS:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    return tmp_path


def test_a_forbidden_import_is_reported(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "ml" / "recsys" / "leak.py").write_text(
        "import dagster as dg\nfrom ml.hybrid.explain import explain\nfrom assets import ingest\n"
    )
    (root / "ml" / "content" / "sideways.py").write_text("from ml.vision import frames\n")
    (root / "quality" / "upwards.py").write_text("from reports import render\n")
    (root / "assets" / "resources.py").write_text(
        (ROOT / "assets" / "resources.py").read_text() + "\nfrom quality import result\n"
    )
    found = "\n".join(violations(root))
    assert "ml/recsys/leak.py:1: ml imports dagster" in found
    assert "ml/recsys/leak.py:2: ml.recsys (layer 2) imports ml.hybrid (layer 4)" in found
    assert "ml/recsys/leak.py:3: ml (rank 0) imports assets.ingest" in found
    assert "ml/content/sideways.py:1: ml.content (layer 2) imports ml.vision (layer 2)" in found
    assert "quality/upwards.py:1: quality (rank 1) imports reports.render" in found
    assert "leaf assets.resources imports quality.result" in found


def test_an_import_cycle_is_reported(tmp_path: Path) -> None:
    root = _copy_tree(tmp_path)
    (root / "ml" / "data" / "a_mod.py").write_text("from ml.data import b_mod\n")
    (root / "ml" / "data" / "b_mod.py").write_text("from ml.data import a_mod\n")
    assert "import cycle: ml.data.a_mod -> ml.data.b_mod" in violations(root)
