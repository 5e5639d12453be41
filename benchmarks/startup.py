"""Where users wait before any planning: start-up, the first run, and ``place``.

Each measure is a whole process (``python -m rural_plan.cli ...``), as a user runs it:

* ``--help`` and ``validate``: wall time (best of 5), and whether numba was imported;
* ``place`` on a seeded 400-option instance (200 locations x 2 site types, 40,000
  cells): the process's wall time against the ``seconds`` it reports (best of 5), for
  the greedy and for local search, without and with a time limit (with one, the search
  reads its deadline clock);
* the demo with an empty numba cache (``NUMBA_CACHE_DIR`` a new folder: every kernel
  it uses is compiled), then again with that cache warm: wall time and ``jit_compile``.

With ``--baseline DIR`` (a checkout of another commit, e.g. ``git worktree add``) every
measure also runs on that code, in the same run, alternating, so the two are compared
under the same load.

Run from the repository root: ``python -m benchmarks --only startup [--baseline DIR]``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, table

_HEAVY_PROBE = (
    "import sys, runpy; sys.argv = ['rural-plan', *sys.argv[1:]];\n"
    "try:\n    runpy.run_module('rural_plan.cli', run_name='__main__')\n"
    "except SystemExit:\n    pass\n"
    "print('NUMBA', 'numba' in sys.modules, file=sys.stderr)"
)


def _env(code: Path, **extra: str) -> dict:
    return os.environ | {"PYTHONPATH": str(code)} | extra


def _timed(code: Path, argv: list[str], **env: str) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "rural_plan.cli", *argv],
        cwd=code,
        env=_env(code, **env),
        capture_output=True,
        text=True,
    )
    return time.perf_counter() - t0, done


_FLOOR = (
    "import numpy as np; from rural_plan.placement._kernels import rows_canonical;"
    "rows_canonical(np.array([0, 1]), np.array([0]))"
)
"""The least a process that runs a cached kernel pays: Python, numpy, numba, numba's
target context (it imports scipy.linalg for BLAS) and one kernel from the cache."""


def _floor(code: Path, **env: str) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", _FLOOR], cwd=code, env=_env(code, **env), check=True)
    return time.perf_counter() - t0


def _import_s(code: Path, module: str = "rural_plan.cli.main") -> float:
    """Seconds ``import module`` takes by ``python -X importtime`` (its largest
    cumulative entry)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=code,
        env=_env(code),
        capture_output=True,
        text=True,
        check=True,
    )
    cumulative = [
        int(parts[1])
        for line in done.stderr.splitlines()
        if len(parts := [p.strip() for p in line.removeprefix("import time:").split("|")]) == 3
        and parts[1].isdigit()
    ]
    return max(cumulative) / 1e6  # the outermost import: everything the statement loaded


def _numba_loaded(code: Path, argv: list[str]) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", _HEAVY_PROBE, *argv],
        cwd=code,
        env=_env(code),
        capture_output=True,
        text=True,
    )
    return "NUMBA True" in done.stderr


def place_instance(path: Path, seed: int = 20) -> int:
    """A seeded 400-option instance: 200 locations, a small and a large site type each."""
    sys.path.insert(0, str(REPO))
    from rural_plan.placement.instance import CoverageInstance

    rng = np.random.default_rng(seed)
    n_loc, n_cells = 200, 40_000
    rows, costs, locs = [], [], []
    for loc in range(n_loc):
        centre = rng.integers(n_cells)
        for t in range(2):
            width = 60 + 120 * t
            rows.append(np.unique(np.clip(centre + np.arange(-width, width + 1), 0, n_cells - 1)))
            costs.append(10.0 * (1 + 4 * t) * rng.uniform(0.8, 1.2))
            locs.append(loc)
    inst = CoverageInstance.from_arrays(
        indptr=np.concatenate([[0], np.cumsum([r.size for r in rows])]),
        indices=np.concatenate(rows),
        weight=rng.gamma(1.0, 3.0, n_cells),
        cost_usd=np.array(costs),
        location=np.array(locs),
    )
    inst.save(path)
    return inst.n_options


def run(baseline: Path | None = None, repeat: int = 5) -> list[str]:
    codes = {"this": REPO} | ({"baseline": baseline.resolve()} if baseline else {})
    tmp = Path(tempfile.mkdtemp(prefix="rural-plan-startup-"))
    try:
        return _run(codes, tmp, repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(codes: dict[str, Path], tmp: Path, repeat: int) -> list[str]:
    n_options = place_instance(tmp / "i400.npz")
    cache = {name: tmp / f"numba-{name}" for name in codes}
    rows = []
    # the demo first, cold then warm (each code with its own empty numba cache)
    demo: dict[str, dict] = {name: {} for name in codes}
    for state in ("cold", "warm"):
        for name, code in codes.items():
            wall, done = _timed(
                code,
                ["demo", "--no-cache", "-q", "-o", str(tmp / f"demo-{name}-{state}")],
                NUMBA_CACHE_DIR=str(cache[name]),
            )
            if done.returncode:
                raise RuntimeError(f"demo ({name}) failed: {done.stderr[-2000:]}")
            prov = json.loads((tmp / f"demo-{name}-{state}" / "provenance.json").read_text())
            demo[name][state] = (wall, prov["timings_s"]["jit_compile"])
    for name in codes:
        (cold, cold_jit), (warm, warm_jit) = demo[name]["cold"], demo[name]["warm"]
        rows.append(
            {
                "code": name,
                "measure": "demo, empty numba cache / warm",
                "wall_s": f"{cold:.1f} / {warm:.1f} (x{cold / warm:.2f})",
                "reported_s": f"jit_compile {cold_jit:.1f} / {warm_jit:.2f}",
                "numba_imported": "yes",
            }
        )
    for name, code in codes.items():
        rows.append(
            {
                "code": name,
                "measure": "`import rural_plan.cli.main` (-X importtime, cumulative)",
                "wall_s": f"{min(_import_s(code) for _ in range(repeat)):.2f}",
                "reported_s": "",
                "numba_imported": "",
            }
        )
    for argv in (["--help"], ["validate", "scenarios/demo.yaml"]):
        for name, code in codes.items():
            best = min(_timed(code, argv)[0] for _ in range(repeat))
            rows.append(
                {
                    "code": name,
                    "measure": f"`{' '.join(argv)}`",
                    "wall_s": f"{best:.2f}",
                    "reported_s": "",
                    "numba_imported": "yes" if _numba_loaded(code, argv) else "no",
                }
            )
    for method, limit in (("greedy", []), ("local-search", []), ("local-search", ["60"])):
        argv = ["place", str(tmp / "i400.npz"), "--method", method, "--budget-usd", "1000", "-q"]
        argv += [f"--time-limit-s={s}" for s in limit]  # local search then watches its clock
        for name, code in codes.items():
            env = {"NUMBA_CACHE_DIR": str(cache[name])}
            _timed(code, argv, **env)  # compile the kernels place uses (not timed)
            runs = []
            for _ in range(repeat):
                wall, done = _timed(code, argv, **env)
                runs.append((wall, json.loads(done.stdout)["seconds"]))
            wall, seconds = min(runs)
            floor = min(_floor(code, **env) for _ in range(repeat))
            rows.append(
                {
                    "code": name,
                    "measure": f"`place` {n_options} options, {method}"
                    + "".join(f", --time-limit-s {s}" for s in limit),
                    "wall_s": f"{wall:.2f}",
                    "reported_s": f"{seconds:.3f} (wall - seconds {wall - seconds:.2f}; "
                    f"a process loading one cached kernel: {floor:.2f})",
                    "numba_imported": "yes",
                }
            )
    cols = ["measure", "code", "wall_s", "reported_s", "numba_imported"]
    if len(codes) == 1:
        cols.remove("code")
    return [
        "## Start-up: whole processes (seconds)",
        "",
        "`python -m rural_plan.cli ...` in a fresh process each; best of "
        f"{repeat} for `--help`, `validate` and `place` (kernels loaded from the numba "
        "cache); the demo `--no-cache -q` once with an empty numba cache (`jit_compile`: "
        "compiling what the run uses), then once with that cache warm."
        + (
            f" Baseline: the code at `{codes['baseline']}`, measured alternately in the same run."
            if "baseline" in codes
            else ""
        ),
        "",
        *table(rows, cols),
        "",
    ]
