"""Never lose a user's files, never race: ``--overwrite`` replaces only a folder rural_plan
wrote, unchanged, that holds neither the scenario, its inputs nor the current folder;
two runs into the same folder: exactly one wins, the other exits 2; ``compare`` follows
the same rules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.transform

from rural_plan.cli import main
from rural_plan.errors import OutputError
from rural_plan.io.results import MANIFEST, OutputClaim, remove_written, write_folder

SCENARIO = """\
name: safe
seed: 3
budget_usd: 300000
inputs: {synthetic: {size_m: 8000, relief_m: 300, villages: 6, people: 4000}}
grid: {cell_size_m: 200, demand_cell_m: 200}
radio: {model: fspl-knife-edge, radius_m: 3000}
candidates: {grid_spacing_m: 2000, max_candidates: 40}
placement: {method: greedy, budget_curve_points: 3, budget_curve_backhaul_points: 0}
cost: {sensitivity: false}
outputs: {coverage_tif: false}
"""


def _rasters(folder: Path) -> None:
    """A real DEM and population raster (WGS84, ~8 km square): a run on them gets as far
    as writing its results."""
    n = 80
    transform = rasterio.transform.from_origin(43.30, -11.60, 0.001, 0.001)
    yy, xx = np.mgrid[0:n, 0:n]
    dem = (200.0 + 150.0 * np.sin(xx / 9.0) * np.cos(yy / 11.0)).astype("float32")
    pop = np.where((xx - 40) ** 2 + (yy - 40) ** 2 < 300, 20.0, 0.5).astype("float32")
    for name, data in (("dem.tif", dem), ("pop.tif", pop)):
        with rasterio.open(
            folder / name,
            "w",
            driver="GTiff",
            width=n,
            height=n,
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=transform,
        ) as ds:
            ds.write(data, 1)


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(argv: list[str], capsys) -> tuple[int, str]:
    code = main(argv)
    return code, capsys.readouterr().err


@pytest.fixture
def results(tmp_path, capsys):
    """A real results folder of a small synthetic plan, and its scenario."""
    scenario = tmp_path / "safe.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "out"
    code, err = _run(["run", "-q", "--no-cache", str(scenario), "-o", str(out)], capsys)
    assert code == 0, err
    return scenario, out


def test_the_reported_project_folder_survives_overwrite(tmp_path, capsys, monkeypatch):
    """The issue's reproduction: a project folder with data, a .git, the scenario, the
    user's thesis and a foreign summary.json, planned into itself with ``-o . --overwrite``."""
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    (proj / ".git").mkdir()
    (proj / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    _rasters(proj / "data")
    (proj / "summary.json").write_text('{"other":"tool"}')
    (proj / "thesis.tex").write_text("thesis")
    (proj / "s.yaml").write_text(
        "name: p\nbudget_usd: 500000\ninputs: {dem: data/dem.tif, population: data/pop.tif}\n"
        "grid: {cell_size_m: 200}\n"
    )
    before = _files(proj)
    monkeypatch.chdir(proj)
    code, err = _run(["run", "s.yaml", "-o", ".", "--overwrite"], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "never replaces" in err or "rural_plan wrote" in err
    assert _files(proj) == before
    # and a subfolder that only holds the user's things is refused just the same
    code, err = _run(["run", "s.yaml", "-o", "data", "--overwrite"], capsys)
    assert code == 2 and _files(proj) == before


def test_notes_saved_in_a_results_folder_are_never_deleted(results, capsys):
    scenario, out = results
    (out / "notes.txt").write_text("my notes")
    before = _files(out)
    code, err = _run(["run", "-q", str(scenario), "-o", str(out), "--overwrite"], capsys)
    assert code == 2 and "notes.txt" in err
    assert _files(out) == before  # the previous results and the notes, untouched
    # once the notes are moved away the same command replaces the results
    (out / "notes.txt").unlink()
    code, err = _run(["run", "-q", str(scenario), "-o", str(out), "--overwrite"], capsys)
    assert code == 0, err
    assert "notes.txt" not in _files(out)


def test_an_edited_output_is_not_overwritten(results, capsys):
    scenario, out = results
    sites = out / "sites.csv"
    sites.write_text(sites.read_text() + "my edit\n")
    code, err = _run(["run", "-q", str(scenario), "-o", str(out), "--overwrite"], capsys)
    assert code == 2 and "sites.csv (changed since rural_plan wrote it)" in err
    assert sites.read_text().endswith("my edit\n")


def test_the_manifest_lists_every_file_with_its_hash(results):
    _, out = results
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["written_by"] == "rural_plan"
    assert set(manifest["files"]) == set(_files(out)) - {MANIFEST}
    import hashlib

    for name, meta in manifest["files"].items():
        data = (out / name).read_bytes()
        assert meta == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def test_a_results_folder_holding_the_scenario_is_never_replaced(results, capsys):
    scenario, out = results
    inside = out / "safe.yaml"
    inside.write_text(scenario.read_text())
    code, err = _run(["run", "-q", str(inside), "-o", str(out), "--overwrite"], capsys)
    assert code == 2 and "holds the scenario or its inputs" in err
    assert inside.exists()


def test_the_current_folder_is_never_replaced(results, capsys, monkeypatch):
    scenario, out = results
    monkeypatch.chdir(out)
    code, err = _run(["run", "-q", str(scenario), "-o", ".", "--overwrite"], capsys)
    assert code == 2 and "current folder" in err
    assert (out / "summary.json").exists()


def test_a_folder_of_an_earlier_version_is_replaced_only_when_it_holds_only_outputs(tmp_path):
    old = tmp_path / "old"
    old.mkdir()
    (old / "summary.json").write_text('{"rural_plan_version": "0.0.9"}')
    (old / "sites.csv").write_text("site_id\n")
    write_folder(old, lambda f: (f / "summary.json").write_text("{}"), overwrite=True)
    assert (old / MANIFEST).exists() and not (old / "sites.csv").exists()

    other = tmp_path / "other"
    other.mkdir()
    (other / "summary.json").write_text('{"rural_plan_version": "0.0.9"}')
    (other / "plan.docx").write_text("the user's")
    with pytest.raises(OutputError, match=r"plan\.docx"):
        write_folder(other, lambda f: (f / "summary.json").write_text("{}"), overwrite=True)
    assert (other / "plan.docx").exists()


def test_swapping_out_deletes_only_what_the_manifest_lists(tmp_path):
    out = tmp_path / "res"
    write_folder(out, lambda f: (f / "summary.json").write_text("{}"))
    aside = tmp_path / "aside"
    os.rename(out, aside)
    (aside / "late.txt").write_text("appeared after the check")
    remove_written(aside, out)
    kept = tmp_path / "res.kept-1"
    assert not aside.exists() and sorted(p.name for p in kept.iterdir()) == ["late.txt"]


def test_compare_follows_the_same_rules(results, tmp_path, capsys):
    _, out = results
    comparison = tmp_path / "cmp"
    comparison.mkdir()
    (comparison / "mine.txt").write_text("the user's")
    code, err = _run(["compare", "-q", str(out), "-o", str(comparison)], capsys)
    assert code == 2 and "not empty" in err
    code, err = _run(["compare", "-q", str(out), "-o", str(comparison), "--overwrite"], capsys)
    assert code == 2 and "mine.txt" in err
    (comparison / "mine.txt").unlink()
    assert _run(["compare", "-q", str(out), "-o", str(comparison)], capsys)[0] == 0
    assert (comparison / "comparison.csv").exists() and (comparison / MANIFEST).exists()
    code, err = _run(["compare", "-q", str(out), "-o", str(comparison)], capsys)
    assert code == 2 and "--overwrite" in err
    assert _run(["compare", "-q", str(out), "-o", str(comparison), "--overwrite"], capsys)[0] == 0
    # a compared folder is never replaced by the comparison
    code, err = _run(["compare", "-q", str(out), "-o", str(out), "--overwrite"], capsys)
    assert code == 2 and (out / "sites.csv").exists()


def test_a_second_claim_on_a_folder_is_refused_while_the_first_holds_it(tmp_path):
    out = tmp_path / "x"
    probe = (
        "import sys, time; from rural_plan.io.results import OutputClaim\n"
        "with OutputClaim(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", probe, str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(OutputError, match=r"another rural-plan run \(process \d+"):
            with OutputClaim(out):
                pass
    finally:
        holder.kill()
        holder.wait()
    with OutputClaim(out):  # the system released the dead holder's lock
        pass
    assert not (tmp_path / ".x.lock").exists()


def _racers(scenario: Path, out: Path, n: int = 2) -> list[subprocess.CompletedProcess]:
    argv = [sys.executable, "-m", "rural_plan.cli", "run", "-q", "--no-cache"]
    procs = [
        subprocess.Popen([*argv, str(scenario), "-o", str(out)], stderr=subprocess.PIPE, text=True)
        for _ in range(n)
    ]
    return [(p.wait(timeout=600), p.stderr.read()) for p in procs]


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_into_one_fresh_folder_exactly_one_wins(tmp_path, attempt):
    scenario = tmp_path / "safe.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "shared-out"
    t0 = time.perf_counter()
    results = _racers(scenario, out)
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    assert len(loser.strip().splitlines()) == 1 and "Traceback" not in loser
    assert "another rural-plan run" in loser or "not empty" in loser
    manifest = json.loads((out / MANIFEST).read_text())
    assert set(manifest["files"]) == set(_files(out)) - {MANIFEST}  # one complete result
    assert not list(tmp_path.glob(".shared-out.*")), "temporaries or a lock left behind"
    assert time.perf_counter() - t0 < 600
