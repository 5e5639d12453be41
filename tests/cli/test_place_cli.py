"""The standard placement instance (NPZ) and `rural-plan place`."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from rural_plan.cli import main
from rural_plan.errors import InputFileError, PlacementError
from rural_plan.placement import CoverageInstance
from tests.conftest import REPO


def _instance(seed=0, n_loc=12, n_types=2, n_cells=300):
    rng = np.random.default_rng(seed)
    rows, costs, locs = [], [], []
    for loc in range(n_loc):
        centre = rng.integers(n_cells)
        for t in range(n_types):
            width = 8 + 12 * t
            rows.append(np.unique(np.clip(centre + np.arange(-width, width + 1), 0, n_cells - 1)))
            costs.append(10.0 * (1 + 4 * t) * rng.uniform(0.8, 1.2))
            locs.append(loc)
    indptr = np.concatenate([[0], np.cumsum([r.size for r in rows])])
    return CoverageInstance.from_arrays(
        indptr=indptr,
        indices=np.concatenate(rows),
        weight=rng.gamma(1.0, 3.0, n_cells),
        cost_usd=np.array(costs),
        location=np.array(locs),
    )


def test_npz_round_trip(tmp_path):
    inst = _instance()
    inst.save(tmp_path / "i.npz")
    back = CoverageInstance.load(tmp_path / "i.npz")
    for name in ("indptr", "indices", "weight", "cost_usd", "location"):
        np.testing.assert_array_equal(getattr(back, name), getattr(inst, name))


def test_place_prints_the_contract(tmp_path, capsys):
    inst = _instance(1)
    inst.save(tmp_path / "i.npz")
    assert (
        main(["place", str(tmp_path / "i.npz"), "--method", "greedy", "--budget-usd", "120", "-q"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert {"method", "chosen", "covered", "cost_usd", "seconds"} <= set(out)
    assert out["method"] == "greedy"
    assert out["cost_usd"] <= 120 + 1e-9
    locs = inst.location[out["chosen"]]
    assert len(set(locs.tolist())) == len(locs)  # one option per location
    assert out["covered"] == pytest.approx(inst.coverage_of(out["chosen"]))


@pytest.mark.parametrize(
    ("arrays", "needle"),
    [
        (
            {
                "indptr": [0, 2],
                "indices": [0, 5],
                "weight": [1.0, 1.0],
                "cost_usd": [1.0],
                "location": [0],
            },
            "indices must lie in [0, 2)",
        ),
        (
            {
                "indptr": [0, 1],
                "indices": [0],
                "weight": [-1.0],
                "cost_usd": [1.0],
                "location": [0],
            },
            "weight must be finite and >= 0",
        ),
        (
            {"indptr": [0, 1], "indices": [0], "weight": [1.0], "cost_usd": [0.0], "location": [0]},
            "nothing is free",
        ),
        (
            {
                "indptr": [0, 1],
                "indices": [0],
                "weight": [1.0],
                "cost_usd": [1.0, 2.0],
                "location": [0],
            },
            "one value per option",
        ),
    ],
)
def test_bad_instance_one_line_exit_2(tmp_path, capsys, arrays, needle):
    path = tmp_path / "bad.npz"
    np.savez(path, **{k: np.asarray(v) for k, v in arrays.items()})
    with pytest.raises(PlacementError, match=re.escape(needle)):
        CoverageInstance.load(path)
    assert main(["place", str(path), "--budget-usd", "10"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and str(path) in err[0]


def test_missing_array_and_not_npz(tmp_path, capsys):
    path = tmp_path / "partial.npz"
    np.savez(path, indptr=np.array([0]), indices=np.array([], dtype=int))
    with pytest.raises(InputFileError, match="lacks array"):
        CoverageInstance.load(path)
    (tmp_path / "text.npz").write_text("hello")
    assert main(["place", str(tmp_path / "text.npz"), "--budget-usd", "1"]) == 2
    assert "not a readable NPZ" in capsys.readouterr().err


def test_place_needs_a_budget(tmp_path, capsys):
    _instance().save(tmp_path / "i.npz")
    assert main(["place", str(tmp_path / "i.npz")]) == 2
    assert "--budget-usd" in capsys.readouterr().err


def test_export_matches_the_pipeline(tmp_path, capsys):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: tiny\nseed: 3\nbudget_usd: 200000\n"
        "inputs: {synthetic: {size_m: 8000, villages: 6, people: 5000}}\n"
        "grid: {cell_size_m: 200}\nradio: {model: fspl-knife-edge, radius_m: 5000}\n"
    )
    out = tmp_path / "inst.npz"
    assert main(["place", "-q", "--export", str(scenario), "-o", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    inst = CoverageInstance.load(out)
    assert info["options"] == inst.n_options > 0
    assert info["people"] == pytest.approx(5000.0, rel=1e-6)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # Solving the exported instance gives the plan's own placement.
    assert main(["place", str(out), "--budget-usd", "200000", "-q"]) == 0
    solved = json.loads(capsys.readouterr().out)
    # (the plan's first placement: backhaul rounds may then re-price and re-place)
    from rural_plan.pipeline import prepare
    from rural_plan.placement.select import select_sites
    from rural_plan.scenario.loader import load_scenario

    prep = prepare(load_scenario(scenario))
    first = select_sites(prep.scenario, prep.instance, prep.coverage)
    assert sorted(solved["chosen"]) == sorted(int(i) for i in first.chosen)
    assert main(["run", "-q", str(scenario), "-o", str(tmp_path / "plan")]) == 0
    capsys.readouterr()
    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["placement_budget_estimate_usd"] > 0
    assert REPO.exists()


def test_a_reader_that_goes_away_is_no_traceback(tmp_path):
    """``rural-plan place ... | head -c 20``: the reader closes the pipe before the JSON is
    written; the command stops quietly (exit 141, as a shell reports SIGPIPE), with no
    traceback on stderr."""
    import subprocess
    import sys

    _instance().save(tmp_path / "i.npz")
    cmd = [sys.executable, "-m", "rural_plan.cli", "place", str(tmp_path / "i.npz")]
    cmd += ["--method", "greedy", "--budget-usd", "120", "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipeError" not in err
