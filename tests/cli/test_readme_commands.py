"""Every command the README shows runs: the command table lists exactly the CLI's
commands, and a concrete example of each row (and every example the README spells out in
full) runs to exit 0 on a small synthetic scenario or on the repository's scenarios."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from rural_plan.cli import main
from rural_plan.cli.main import COMMANDS

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")

SMALL = """\
name: readme
seed: 5
budget_usd: 400000
inputs: {synthetic: {size_m: 8000, relief_m: 300, villages: 6, people: 4000}}
grid: {cell_size_m: 200, demand_cell_m: 200}
radio: {model: fspl-knife-edge, radius_m: 3000}
candidates: {grid_spacing_m: 2000, max_candidates: 40}
placement: {budget_curve_points: 3, budget_curve_backhaul_points: 0}
cost: {sensitivity: false}
outputs: {coverage_tif: false}
"""


def _table_commands() -> list[str]:
    """The first cell of each row of the README's command table."""
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `rural-plan ([a-z]+)[^`]*` \|", section, flags=re.M)


def test_the_command_table_lists_every_command():
    listed = set(_table_commands())
    assert listed == {c.NAME for c in COMMANDS}


def _sweep_example() -> list[str]:
    """The ``--set`` pairs of the README's sweep example."""
    row = next(line for line in README.splitlines() if line.startswith("| `rural-plan sweep"))
    example = re.search(r"\(e\.g\. `([^`]+)`\)", row).group(1)
    return example.split()


def test_every_command_of_the_table_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SMALL)
    ran = set()

    def run(*argv: str) -> str:
        code = main(list(argv))
        captured = capsys.readouterr()
        assert code == 0, (argv, captured.err)
        ran.add(argv[0])
        return captured.out

    run("validate", str(scenario))
    run("run", "-q", str(scenario), "-o", "out1")
    run("run", "-q", str(scenario), "-o", "out1", "--overwrite")
    run("diagnose", "-q", str(scenario), "-o", "diag")
    budget = ["--set", "budget_usd=2e5,4e5"]
    presets = [a for a in _sweep_example() if a.startswith("cost.preset=")]
    run("sweep", "-q", str(scenario), *budget, "--set", presets[0], "-o", "sweep")
    assert len(list((tmp_path / "sweep").glob("*/summary.json"))) == 2 * len(
        presets[0].split("=")[1].split(",")
    )
    run(
        "compare",
        "-q",
        "out1",
        *sorted(str(p.parent) for p in Path("sweep").glob("*/summary.json")),
    )
    run("place", "-q", "--export", str(scenario), "-o", "inst.npz")
    for method in ("greedy", "local-search", "milp"):
        out = json.loads(run("place", "-q", "inst.npz", "--method", method, "--budget-usd", "2e5"))
        assert out["method"] == method and out["cost_usd"] <= 2e5 * (1 + 1e-9)
    profile = tmp_path / "profile.json"
    profile.write_text(json.dumps({"elevations_m": [100, 140, 120, 110, 130], "step_m": 500}))
    for model in ("itm", "delta-bullington", "okumura-hata", "free-space"):
        args = ["--model", model, "--f-mhz", "900", "--h-tx-m", "30", "--h-rx-m", "1.5"]
        run("path", "-q", str(profile), *args, "--allow-extrapolation")
    dem = tmp_path / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=120,
        height=120,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(1 / 3600, 0, 43.30, 0, -1 / 3600, -11.60),
    ) as ds:
        ds.write(np.full((1, 120, 120), 200.0, dtype="float32"))
    site = ["--dem", str(dem), "--lon", "43.3167", "--lat", "-11.6167", "--h-tx-m", "15"]
    radio = ["--h-rx-m", "1.5", "--f-mhz", "900", "--radius-m", "1000", "--model", "itm"]
    out = json.loads(run("coverage", "-q", *site, *radio, "--eirp-dbm", "56", "-o", "c.tif"))
    assert out["cells"] > 3000 and out["bands"] == ["path_loss_db", "rx_dbm"]
    # demo (the quick start) and bench (the benchmark suite) have tests of their own below
    assert ran == {c.NAME for c in COMMANDS} - {"demo", "bench"}


def test_bench_finds_the_clone_it_documents():
    from rural_plan.cli.bench import benchmarks_repo

    assert (benchmarks_repo(REPO) / "benchmarks" / "__main__.py").is_file()


@pytest.mark.slow
def test_the_quick_start_demo_runs(tmp_path, capsys):
    assert main(["demo", "-q", "-o", str(tmp_path / "demo")]) == 0
    assert (tmp_path / "demo" / "summary.json").exists()


def test_the_comoros_example_scenario_is_valid(capsys):
    """``rural-plan run scenarios/comoros_ngazidja.yaml`` (its full run is
    tests/cli/test_cli.py's end-to-end test); here: it validates as shown."""
    scenario = REPO / "scenarios" / "comoros_ngazidja.yaml"
    data = REPO.parent / "shared" / "data" / "comoros"
    if not data.exists():
        pytest.skip(f"real data not available: {data}")
    assert main(["validate", str(scenario)]) == 0
