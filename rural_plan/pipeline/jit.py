"""Compile (or load from numba's on-disk cache) the kernels a run uses, before timing it.

Every kernel is ``cache=True``: the first run on a machine compiles what it uses, later
processes load it from the cache (a fraction of a second). Only what the scenario uses
is compiled: the radial sweep of its own propagation model (each model is compiled
apart), the placement kernels of its method, the grid's resampling when it reads
rasters, the backhaul's hop checks. :func:`warm_up` runs them once on tiny inputs so the
pipeline reports that cost apart from run time (``timings_s.jit_compile``), and, when
something must be compiled, says so first (what, and about how long) and shows progress
(:func:`rural_plan.progress.timed_steps`). The warm-up's toy runs print nothing.

On a cold cache with two cores or more, the propagation sweep compiles in a helper
process while this one compiles the rest, which shortens the first run's wait.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rural_plan import progress
from rural_plan.backhaul import warm as backhaul_warm
from rural_plan.grid import warm as grid_warm
from rural_plan.placement import warm as placement_warm
from rural_plan.placement.options import models_capacity
from rural_plan.propagation import warm as propagation_warm
from rural_plan.scenario.schema import Placement, Radio, Scenario, field_default

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KernelGroup:
    """The kernels of one stage that a run uses."""

    name: str
    """What the user reads: ``propagation (delta-bullington)``."""
    warm: Callable[[], None]
    """Runs each kernel once on tiny inputs (compiling it, or loading it from the cache)."""
    kernels: tuple
    """The dispatchers it calls from Python: the group is cached when all of them are."""
    compile_s: float
    """About how long compiling the group takes on two idle cores [s]."""
    helper: str | None = None
    """Python source that warms the group in another process (``-c``), or None."""


def kernel_groups(scenario: Scenario | None = None) -> list[KernelGroup]:
    """The kernel groups a run of ``scenario`` uses (None: a synthetic-region scenario
    with the schema's default model and method)."""
    if scenario is None:
        model, method = field_default(Radio, "model"), field_default(Placement, "method")
        served = False
    else:
        model, method = scenario.radio.model, scenario.placement.method
        served = method == "local-search" and models_capacity(scenario)
    groups = []
    if scenario is not None and scenario.inputs.synthetic is None:
        groups.append(
            KernelGroup("grid", grid_warm.warm_up, grid_warm.kernels(), grid_warm.COMPILE_S)
        )
    groups += [
        propagation_group(model),
        KernelGroup(
            f"placement ({method}{', by people served' if served else ''})",
            lambda: placement_warm.warm_up(method, served=served),
            placement_warm.kernels(method, served=served),
            placement_warm.compile_estimate_s(method, served=served),
        ),
        KernelGroup(
            "backhaul", backhaul_warm.warm_up, backhaul_warm.kernels(), backhaul_warm.COMPILE_S
        ),
    ]
    return groups


def propagation_group(model: str) -> KernelGroup:
    """The propagation kernels of ``model`` (a name of the models registry)."""
    return KernelGroup(
        f"propagation ({model})",
        lambda: propagation_warm.warm_up(model),
        propagation_warm.kernels(model),
        propagation_warm.compile_estimate_s(model),
        helper=f"from rural_plan.propagation.warm import warm_up; warm_up({model!r})",
    )


def is_cached(kernel) -> bool:
    """Whether numba's on-disk cache holds ``kernel`` compiled from its current source
    (numba internals: any doubt counts as cached, so at worst a compile goes unannounced;
    its time is still reported)."""
    try:
        cache = kernel._cache
        index = cache._cache_file._load_index()
        code = cache._index_key(None, kernel.targetctx.codegen())[1:]
        return any(key[1:] == code for key in index)
    except Exception:
        return True


def warm_up(scenario: Scenario | None = None) -> float:
    """Load or compile the kernels a run of ``scenario`` uses; returns the seconds it took."""
    return warm_groups(kernel_groups(scenario))


def warm_propagation(model: str) -> float:
    """Load or compile the propagation kernels of ``model`` (a Dask worker's share)."""
    return warm_groups([propagation_group(model)])


def warm_groups(groups: list[KernelGroup]) -> float:
    """Load every group from the cache, compiling the cold ones (announced, with progress);
    returns the seconds it took."""
    t0 = time.perf_counter()
    cold = [g for g in groups if not all(is_cached(k) for k in g.kernels)]
    warm = [g for g in groups if g not in cold]
    with progress.quiet():
        for g in warm:
            g.warm()
    if not cold:
        seconds = time.perf_counter() - t0
        log.debug("numba kernels loaded from the cache in %.2f s", seconds)
        return seconds
    helper = _start_helper(cold)
    here = [g for g in cold if helper is None or g.helper != helper[0].helper]
    estimate = sum(g.compile_s for g in here)
    if helper is not None:
        estimate = max(estimate, helper[0].compile_s)
    log.info(
        "compiling the numba kernels this run uses: %s; about %.0f s on 2 idle cores%s (a "
        "first run on this machine; later runs load them from the cache)",
        ", ".join(g.name for g in cold),
        estimate,
        _busy(),
    )
    with progress.timed_steps(estimate, "compiling") as steps:
        for g in here:
            steps.step(g.name, g.compile_s)
            with progress.quiet():
                g.warm()
            steps.done()
        if helper is not None:
            group, proc = helper
            steps.step(group.name, max(0.0, group.compile_s - (time.perf_counter() - t0)))
            proc.wait()  # then load what it compiled (or compile here if it failed)
            with progress.quiet():
                group.warm()
            steps.done()
    seconds = time.perf_counter() - t0
    log.info("compiled in %.1f s (cached for later runs)", seconds)
    return seconds


def _busy() -> str:
    """``", longer now (load 7.9 on 2 cores)"`` when other work holds every core, else ``""``."""
    try:
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
    except OSError:
        return ""
    return f", longer now (load {load:.1f} on {cores} cores)" if load > cores else ""


def _start_helper(cold: list[KernelGroup]):
    """The first cold group that can compile in a helper process, and that process,
    when there is another core and other work to overlap it with; else None."""
    group = next((g for g in cold if g.helper is not None), None)
    if group is None or len(cold) < 2 or (os.cpu_count() or 1) < 2:
        return None
    # The helper imports this very rural_plan (a checkout may shadow an installed one).
    root = str(Path(__file__).resolve().parents[2])
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.Popen(
        [sys.executable, "-c", group.helper],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=os.environ | {"PYTHONPATH": path},
    )
    return group, proc
