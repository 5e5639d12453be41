"""The Dask executor: a real LocalCluster of worker processes gives the plan of the local
executor byte for byte, also when one worker process is killed mid-run; the executor
options of the scenario and the command line, and their errors."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import time

import numpy as np
import pytest

from rural_plan.cli import main
from rural_plan.pipeline import executors
from rural_plan.pipeline.executors import EXECUTORS, TASK_PREFIX
from rural_plan.scenario.loader import load_scenario
from rural_plan.scenario.names import EXECUTOR_NAMES
from tests.support import SMALL

try:
    from distributed.diagnostics.plugin import SchedulerPlugin
except ImportError:  # the tests that need it are skipped
    SchedulerPlugin = object

needs_distributed = pytest.mark.skipif(
    importlib.util.find_spec("distributed") is None,
    reason="dask.distributed is not installed (pip install 'rural-plan[dask]')",
)

TIMING_KEYS: frozenset[str] = frozenset()
"""Keys of summary.json that hold timings (none today: timings go to provenance.json).
Everything else must be identical between executors."""

SCENARIO = {
    **SMALL,
    "site_types": {  # two options per location: chunks hold whole locations
        "light_pole": {"mast_height_m": 15, "eirp_dbm": 56, "power_w": 150},
        "macro_tower": {"mast_height_m": 35, "eirp_dbm": 62, "power_w": 2500},
    },
    "placement": {"method": "greedy"},
}


def write_scenario(folder, executor=None):
    folder.mkdir(parents=True, exist_ok=True)
    doc = dict(SCENARIO, executor=executor) if executor else SCENARIO
    path = folder / "small.yaml"  # same file name: summary.json records it
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture(scope="module")
def local_results(tmp_path_factory):
    """The plan of the local executor, propagated afresh (no cache)."""
    tmp = tmp_path_factory.mktemp("local")
    out = tmp / "results"
    assert main(["run", str(write_scenario(tmp / "s")), "-o", str(out), "--no-cache", "-q"]) == 0
    return out


def assert_same_results(a, b):
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert {k: v for k, v in sa.items() if k not in TIMING_KEYS} == {
        k: v for k, v in sb.items() if k not in TIMING_KEYS
    }
    assert sa["sites_selected"] > 0
    for name in ("sites.geojson", "links.geojson", "budget_curve.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_executor_registry_matches_the_names():
    assert tuple(EXECUTORS) == EXECUTOR_NAMES


def test_summary_holds_no_timings(local_results):
    summary = json.loads((local_results / "summary.json").read_text())
    timed = [k for k in summary if k.endswith(("_s", "_seconds")) or "time" in k]
    assert sorted(timed) == sorted(TIMING_KEYS)


@needs_distributed
@pytest.mark.slow
def test_local_cluster_plan_is_the_local_plan(tmp_path, local_results):
    """``--dask-workers 2``: a LocalCluster of 2 worker processes, one thread each."""
    out = tmp_path / "results"
    scenario = write_scenario(tmp_path / "s", {"chunk_options": 6})
    t0 = time.perf_counter()
    code = main(["run", str(scenario), "-o", str(out), "--no-cache", "-q", "--dask-workers", "2"])
    assert code == 0
    seconds = time.perf_counter() - t0
    assert_same_results(local_results, out)
    prov = json.loads((out / "provenance.json").read_text())
    ex = prov["executor"]
    assert ex["name"] == "dask" and ex["workers"] == 2 and ex["dask_workers"] == 2
    assert ex["tasks"] > 4  # several chunks, joined in option order
    assert prov["scenario"]["executor"]["name"] == "dask"
    assert "propagation" in prov["timings_s"]
    local = json.loads((local_results / "provenance.json").read_text())
    assert local["executor"] == {"name": "local"}
    # peak memory per stage, outputs included, beside the estimate made before the run
    assert {"grid", "propagation", "placement", "outputs"} <= set(local["peak_rss_mb"])
    assert all(v > 0 for v in local["peak_rss_mb"].values())
    assert local["estimated_memory"].endswith("cells)")
    print(f"dask run {seconds:.1f} s, executor {ex}")


class KillOneWorker(SchedulerPlugin):
    """A scheduler plugin: once ``after`` propagation tasks have finished, SIGKILL the
    process of a worker that is running one, and note which tasks it held."""

    def __init__(self, scheduler, after: int):
        self.scheduler = scheduler
        self.after = after
        self.finished = 0
        self.killed_pid: int | None = None
        self.lost: set[str] = set()
        self.rerun: set[str] = set()

    def transition(self, key, start, finish, *args, **kwargs):
        if not str(key).startswith(TASK_PREFIX):
            return
        if finish == "memory":
            self.finished += 1
            if key in self.lost:
                self.rerun.add(key)
        if self.killed_pid is None and self.finished >= self.after:
            for ws in self.scheduler.workers.values():
                held = {ts.key for ts in ws.processing if str(ts.key).startswith(TASK_PREFIX)}
                if held and ws.pid:
                    self.lost = held
                    self.killed_pid = ws.pid
                    os.kill(ws.pid, signal.SIGKILL)
                    break


@needs_distributed
@pytest.mark.slow
def test_killed_worker_still_gives_the_local_plan(tmp_path, local_results):
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        env={"NUMBA_NUM_THREADS": "1"},
    )
    try:
        with Client(cluster) as client:
            pids = set(client.run(os.getpid).values())
        killer = KillOneWorker(cluster.scheduler, after=3)
        cluster.scheduler.add_plugin(killer, name="kill-one-worker")
        executor = {"name": "dask", "dask_address": cluster.scheduler_address, "chunk_options": 1}
        out = tmp_path / "results"
        scenario = write_scenario(tmp_path / "s", executor)
        assert main(["run", str(scenario), "-o", str(out), "--no-cache", "-q"]) == 0
        assert killer.killed_pid in pids  # a real worker process was killed ...
        with Client(cluster) as client:
            assert killer.killed_pid not in client.run(os.getpid).values()  # ... and is gone
        assert killer.lost and killer.lost <= killer.rerun  # its tasks ran again elsewhere
        assert_same_results(local_results, out)
        ex = json.loads((out / "provenance.json").read_text())["executor"]
        assert ex["tasks"] >= len(SCENARIO["site_types"]) and ex["dask_address"]
        print(f"killed pid {killer.killed_pid}; rerun {sorted(killer.rerun)}; executor {ex}")
    finally:
        cluster.close()


def test_malformed_dask_address_is_one_line_exit_2(tmp_path, capsys):
    out = tmp_path / "results"
    code = main(["run", str(write_scenario(tmp_path)), "-o", str(out), "--dask-address", "x:y"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("rural-plan: error: --dask-address: expected HOST:PORT")
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dask-workers", "0"], "--dask-workers: expected a whole number"),
        (["--executor", "local", "--dask-workers", "2"], "applies to --executor dask"),
    ],
)
def test_bad_executor_options(tmp_path, capsys, argv, message):
    code = main(["run", str(write_scenario(tmp_path)), "-o", str(tmp_path / "r"), *argv])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and message in err


def test_scenario_executor_section_is_validated(tmp_path):
    ok = load_scenario(write_scenario(tmp_path / "a", {"name": "dask", "dask_address": "h:8786"}))
    assert ok.executor.dask_address == "tcp://h:8786"
    with pytest.raises(ValueError, match=r"executor\.dask_address: expected HOST:PORT"):
        load_scenario(write_scenario(tmp_path / "b", {"dask_address": "tcp://h"}))
    with pytest.raises(ValueError, match=r"executor\.dask_workers"):
        load_scenario(write_scenario(tmp_path / "c", {"dask_workers": 0}))


@needs_distributed
def test_unreachable_scheduler_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    out = tmp_path / "results"
    argv = ["run", str(write_scenario(tmp_path)), "-o", str(out), "--dask-address"]
    code = main([*argv, "127.0.0.1:9"])  # the discard port: nothing listens
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "cannot reach a Dask scheduler at tcp://127.0.0.1:9" in err
    assert not out.exists()


def test_chunks_are_whole_locations_in_option_order():
    from rural_plan.propagation.point_to_area import Options, option_chunks

    rows = np.array([1, 1, 2, 3, 3, 3, 4])
    opts = Options.of(rows, rows, np.ones(7), np.ones(7), np.zeros(7))
    assert option_chunks(opts, 2) == [(0, 2), (2, 3), (3, 6), (6, 7)]
    assert option_chunks(opts, 100) == [(0, 7)]
