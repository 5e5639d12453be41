"""The tree shows the pipeline: import-linter's contracts hold (layers, independence, no
cycles between siblings), no module imports another package's private module, no import
circle anywhere (function-level imports included), and the recipe stays a recipe."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rural_plan"
REPO = PACKAGE.parent


def _modules() -> dict[str, Path]:
    out = {}
    for f in PACKAGE.rglob("*.py"):
        parts = list(f.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every rural_plan module ``name`` imports, at any depth of its code."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = name.split(".")
            if node.level:
                pkg = base if path.name == "__init__.py" else base[:-1]
                root = ".".join([*pkg[: len(pkg) - node.level + 1], node.module or ""]).strip(".")
            else:
                root = node.module or ""
            targets = [root] + [f"{root}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def test_import_linter_contracts_hold(monkeypatch, capsys):
    lint = pytest.importorskip("importlinter.cli", reason="import-linter (the test extra)")
    monkeypatch.chdir(REPO)
    import logging

    loggers = [x for x in logging.Logger.manager.loggerDict.values() if hasattr(x, "disabled")]
    was = [x.disabled for x in loggers]
    try:
        code = lint.lint_imports(
            config_filename=str(REPO / "pyproject.toml"), no_cache=True, no_logo=True
        )
    finally:  # import-linter configures logging, disabling the loggers that exist
        for logger, disabled in zip(loggers, was, strict=True):
            logger.disabled = disabled
    out = capsys.readouterr().out
    assert code == 0, out
    assert "broken" not in out.lower() or "0 broken" in out


def test_no_module_imports_another_packages_private_module():
    modules = _modules()
    bad = []
    for name, path in modules.items():
        for target in _imports(name, path, modules):
            parent, _, leaf = target.rpartition(".")
            if leaf.startswith("_") and leaf != "__init__" and parent != "rural_plan":
                here = name if path.name == "__init__.py" else name.rpartition(".")[0]
                if not (here == parent or here.startswith(parent + ".")):
                    bad.append(f"{name} -> {target}")
    assert not bad, bad


def test_no_import_circles_anywhere():
    """Module- and function-level imports alike (a lazy import hides a circle from the
    interpreter, not from the design); a package's ``__init__`` re-exports are skipped."""
    modules = _modules()
    inits = {n for n, p in modules.items() if p.name == "__init__.py"}
    edges = {n: _imports(n, p, modules) - inits for n, p in modules.items()}
    index, low, on, stack, circles, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
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
                circles.append(sorted(comp))

    for v in modules:
        if v not in index:
            visit(v)
    assert not circles, circles


def test_the_recipe_is_a_recipe():
    """``pipeline/recipe.py`` calls the stages in order and holds nothing else."""
    lines = (PACKAGE / "pipeline" / "recipe.py").read_text().splitlines()
    assert len(lines) <= 230, len(lines)


def test_numba_only_in_private_modules():
    """Kernels live in private modules (``_kernels.py``, ``_radial.py``, ...); public
    modules wrap them."""
    public_jit = [
        str(p.relative_to(REPO))
        for p in PACKAGE.rglob("*.py")
        if not p.name.startswith("_")
        and any(
            line.lstrip().startswith(("@nb.njit", "@numba.njit", "@nb.jit"))
            for line in p.read_text().splitlines()
        )
    ]
    assert not public_jit, public_jit


@pytest.mark.skipif(os.name != "posix", reason="POSIX paths")
def test_cli_commands_are_one_module_each():
    from rural_plan.cli.main import COMMANDS

    names = [c.NAME for c in COMMANDS]
    assert len(set(names)) == len(names)
    for c in COMMANDS:
        assert Path(c.__file__).stem == c.NAME
