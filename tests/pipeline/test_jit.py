"""Kernels compile once per machine, and a run compiles only what it uses: a second
process loads them from numba's cache; the sweep of another model stays uncompiled. A
warm-up announces a compile, and otherwise prints nothing."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from rural_plan import progress
from rural_plan.pipeline import jit
from rural_plan.placement._clock import NATIVE

PROBE = (
    "import json, time; from rural_plan.pipeline.jit import is_cached, kernel_groups, warm_up;"
    "from rural_plan.propagation import warm;"
    "from rural_plan.scenario import load_demo_scenario;"
    "s = load_demo_scenario().model_copy(update={'radio': load_demo_scenario().radio"
    ".model_copy(update={'model': 'fspl-knife-edge'})});"
    "cold = [g.name for g in kernel_groups(s) if not all(map(is_cached, g.kernels))];"
    "t = warm_up(s);"
    "other = all(map(is_cached, warm.kernels('delta-bullington')[:1]));"
    "print(json.dumps({'cold': cold, 'seconds': t, 'other_model_cached': other}))"
)


@pytest.mark.slow
def test_second_process_does_not_compile_again_nor_other_models(tmp_path):
    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    import json

    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True
            ).stdout.splitlines()[-1]
        )
        for _ in range(2)
    ]
    first, second = runs
    assert "propagation (fspl-knife-edge)" in first["cold"] and second["cold"] == []
    # compiling fspl-knife-edge compiled no other model's sweep
    assert not first["other_model_cached"] and not second["other_model_cached"]
    # loading every kernel from the cache is far quicker than compiling them
    assert second["seconds"] < 0.3 * first["seconds"]


def test_a_warm_cache_warm_up_prints_nothing(caplog, capsys):
    """The warm-up's toy runs (a budget curve of two budgets, ...) log nothing and show
    no progress, whatever the level."""
    progress.enable()
    try:
        jit.warm_up()  # compiles on a cold cache: then announced, logged under jit
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="rural_plan"):
            jit.warm_up()
    finally:
        progress.enable(False)
    assert [r for r in caplog.records if r.name != "rural_plan.pipeline.jit"] == []
    assert capsys.readouterr().err == ""


def test_a_cold_group_is_announced_with_its_estimate(monkeypatch, caplog):
    ran = []
    group = jit.KernelGroup("toy kernels", lambda: ran.append(1), ("k",), 12.0)
    monkeypatch.setattr(jit, "is_cached", lambda kernel: False)
    monkeypatch.setattr(jit.os, "getloadavg", lambda: (7.9, 7.0, 6.0))
    monkeypatch.setattr(jit.os, "cpu_count", lambda: 2)
    with caplog.at_level(logging.INFO, logger="rural_plan"):
        seconds = jit.warm_groups([group])
    assert ran == [1] and seconds >= 0
    text = caplog.text
    assert (
        "compiling the numba kernels this run uses: toy kernels; about 12 s on 2 idle cores, "
        "longer now (load 7.9 on 2 cores)" in text
    )
    assert "compiled in" in text


def test_cached_groups_are_loaded_silently(monkeypatch, caplog):
    ran = []
    group = jit.KernelGroup("toy kernels", lambda: ran.append(1), ("k",), 12.0)
    monkeypatch.setattr(jit, "is_cached", lambda kernel: True)
    with caplog.at_level(logging.INFO, logger="rural_plan"):
        jit.warm_groups([group])
    assert ran == [1] and caplog.text == ""


def test_the_groups_follow_the_scenario():
    from rural_plan.scenario import load_demo_scenario

    demo = load_demo_scenario()
    names = [g.name for g in jit.kernel_groups(demo)]
    assert names == [
        "propagation (delta-bullington)",
        f"placement ({demo.placement.method})",
        "backhaul",
    ]
    itm = demo.model_copy(update={"radio": demo.radio.model_copy(update={"model": "itm"})})
    assert jit.kernel_groups(itm)[0].name == "propagation (itm)"


RUN_AFTER_WARM_UP = """
import json, sys
from numba.core import event as ev

compiled = []


class Compiles(ev.Listener):
    def on_start(self, event):
        compiled.append(event.data["dispatcher"].py_func.__qualname__)

    def on_end(self, event):
        pass


ev.register("numba:compile", Compiles())
from rural_plan.cli.main import main

assert main(["demo", "--no-cache", "-q", "-o", sys.argv[1]]) == 0
print(json.dumps(compiled))
"""


@pytest.mark.slow
def test_the_warm_up_compiles_everything_the_demo_runs(tmp_path):
    """After the demo's warm-up (another process, an empty cache), the demo compiles
    nothing: every compile is announced and timed apart from the stages. (Off Linux,
    the deadline clock of local search is an ``objmode`` block, which numba compiles in
    every process, cached or not: a fraction of a second.)"""
    env = os.environ | {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    warm = (
        "from rural_plan.pipeline.jit import warm_up;"
        "from rural_plan.scenario import load_demo_scenario; warm_up(load_demo_scenario())"
    )
    subprocess.run([sys.executable, "-c", warm], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", RUN_AFTER_WARM_UP, str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    compiled = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(compiled) <= (set() if NATIVE else {"now"}), compiled
