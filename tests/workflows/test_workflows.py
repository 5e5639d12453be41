"""rural-plan sweep and rural-plan compare."""

from __future__ import annotations

import csv
import json

import pytest

import rural_plan.pipeline.executors
from rural_plan.cli import main

SMALL = {
    "name": "small",
    "inputs": {"synthetic": {"size_m": 10_000, "villages": 8, "people": 9_000}},
    "radio": {"radius_m": 5_000},
    "budget_usd": 300_000,
}


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(json.dumps(SMALL))
    return path


def test_sweep_plans_every_variant_and_propagates_once(tmp_path, scenario, monkeypatch, capsys):
    monkeypatch.setenv("RURAL_PLAN_CACHE_DIR", str(tmp_path / "cache"))
    calls = []
    real = rural_plan.pipeline.executors.covered_demand

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(rural_plan.pipeline.executors, "covered_demand", counting)
    out = tmp_path / "sweep"
    code = main(
        [
            "sweep",
            str(scenario),
            "--set",
            "budget_usd=2e5,4e5",
            "--set",
            "cost.horizon_years=5,10",
            "-o",
            str(out),
            "-q",
        ]
    )
    assert code == 0
    assert len(calls) == 1  # the first variant computes, the other three reuse it
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == sorted(
        f"budget_usd={b}_cost.horizon_years={h}" for b in ("2e5", "4e5") for h in (5, 10)
    )
    with open(out / "comparison.csv", newline="") as f:
        rows = {r["result"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(folders)
    for name in folders:
        summary = json.loads((out / name / "summary.json").read_text())
        budget = 2e5 if "2e5" in name else 4e5
        assert summary["budget_usd"] == budget
        assert summary["horizon_years"] == (5 if name.endswith("=5") else 10)
        assert float(rows[name]["people_newly_covered"]) == summary["people_newly_covered"]
        assert float(rows[name]["tco_usd"]) == summary["tco_usd"]
    # more budget never covers fewer people (same horizon)
    for h in (5, 10):
        lo = json.loads(
            (out / f"budget_usd=2e5_cost.horizon_years={h}" / "summary.json").read_text()
        )
        hi = json.loads(
            (out / f"budget_usd=4e5_cost.horizon_years={h}" / "summary.json").read_text()
        )
        assert hi["people_newly_covered"] >= lo["people_newly_covered"] - 1e-6
    assert (out / "comparison.png").stat().st_size > 1000


def test_a_bad_variant_fails_before_anything_runs(tmp_path, scenario, capsys):
    out = tmp_path / "sweep"
    code = main(["sweep", str(scenario), "--set", "budget_usd=2e5,-1", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert "budget_usd=-1" in err and "budget_usd" in err and "Traceback" not in err
    assert not out.exists()
    assert main(["sweep", str(scenario), "--set", "budget_usd", "-o", str(out)]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_compare_reads_results_folders(tmp_path, scenario, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["run", str(scenario), "-o", str(a), "-q"]) == 0
    cheaper = tmp_path / "cheaper.yaml"
    cheaper.write_text(json.dumps({**SMALL, "budget_usd": 150_000}))
    assert main(["run", str(cheaper), "-o", str(b), "-q"]) == 0
    capsys.readouterr()
    out = tmp_path / "cmp"
    assert main(["compare", str(a), str(b), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    sa = json.loads((a / "summary.json").read_text())
    assert f"{sa['people_newly_covered']:,.0f}" in text
    with open(out / "comparison.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["result"] for r in rows] == ["a", "b"]
    assert float(rows[0]["people_per_1000_usd"]) == sa["people_per_1000_usd"]
    assert main(["compare", str(a), str(tmp_path / "missing")]) == 2
    assert "not a results folder" in capsys.readouterr().err
