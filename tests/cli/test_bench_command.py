"""``rural-plan bench``: finds the clone's benchmarks/ and runs it with the options given."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from rural_plan.cli import main
from tests.conftest import REPO

# A stand-in benchmarks package: records how it was started, in a real subprocess.
_RECORDER = """
import json, os, sys
from pathlib import Path
Path("argv.json").write_text(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(),
                                          "python": sys.executable}))
sys.exit(3)
"""


def test_bench_runs_the_clone_benchmarks_with_the_options(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "__main__.py").write_text(_RECORDER)
    rc = main(["bench", "-q", "--repo", str(tmp_path), "--only", "scale", "--sites", "50"])
    assert rc == 3  # the benchmark's own exit status comes back
    seen = json.loads((tmp_path / "argv.json").read_text())
    assert seen["argv"] == ["--only", "scale", "--sites", "50"]
    assert seen["cwd"] == str(tmp_path.resolve())
    assert seen["python"] == sys.executable


def test_bench_without_benchmarks_is_one_clear_line(tmp_path, capsys):
    rc = main(["bench", "--repo", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "no benchmarks/ folder in" in err and str(tmp_path) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bench_finds_this_clone(monkeypatch, capsys):
    monkeypatch.chdir(REPO / "tests")  # not the clone's root: found from the install
    from rural_plan.cli.bench import benchmarks_repo

    assert benchmarks_repo(None) == REPO.resolve()


def test_bench_help_lists_its_options(capsys):
    try:
        main(["bench", "--help"])
    except SystemExit:
        pass
    out = capsys.readouterr().out
    for option in (
        "--only",
        "--sites",
        "--skip-many-sites",
        "--repo",
        "pipeline",
        "propagation",
        "[count]",
    ):
        assert option in out


def test_bench_passes_propagation_and_its_site_options(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "__main__.py").write_text(_RECORDER)
    argv = ["--only", "propagation", "--sites", "20", "--skip-many-sites"]
    assert main(["bench", "-q", "--repo", str(tmp_path), *argv]) == 3
    assert json.loads((tmp_path / "argv.json").read_text())["argv"] == argv


def test_only_propagation_replaces_both_sections_in_place():
    from benchmarks.__main__ import _PREFIX, splice

    old = [
        "# Benchmark results",
        "<!-- itm: then -->",
        "## ITM point-to-point: old",
        "itm text",
        "<!-- propagation: then -->",
        "## Point-to-area, one site: old",
        "old table",
        "## Many sites: 1000 sites, old",
        "old many",
        "",
        "<!-- placement: then -->",
        "## Placement: kept",
        "placement text",
    ]
    new = ["## Point-to-area, one site: new", "new table", "## Many sites: 20 sites", "new"]
    text = splice(old, "propagation", _PREFIX["propagation"], new, "how").splitlines()
    assert text[:4] == old[:4]
    assert text[4].startswith("<!-- propagation: ") and "(how; load average" in text[4]
    assert text[5:9] == new
    assert text[9:] == old[10:]  # the next section keeps its stamp
    kept = splice(old, "propagation", _PREFIX["propagation"][:1], new[:2], "how").splitlines()
    assert kept[5:7] == new[:2] and kept[7:] == old[7:]  # --skip-many-sites: old many sites


def test_bench_passes_the_long_placement_run(tmp_path):
    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "__main__.py").write_text(_RECORDER)
    argv = ["--only", "placement-long", "--milp-long-s", "60"]
    assert main(["bench", "-q", "--repo", str(tmp_path), *argv]) == 3
    assert json.loads((tmp_path / "argv.json").read_text())["argv"] == [
        "--only",
        "placement-long",
        "--milp-long-s",
        "60.0",
    ]


def test_full_run_keeps_the_long_placement_section(tmp_path, monkeypatch):
    """The suite does not re-run the hour of HiGHS: its last section and stamp are kept,
    and ``--only placement`` does not swallow it."""
    import benchmarks.__main__ as bm

    results = tmp_path / "RESULTS.md"
    results.write_text(
        "\n".join(
            [
                "# Benchmark results",
                "<!-- placement: then -->",
                "## Placement: short",
                "short text",
                "<!-- placement-long: then -->",
                "## Ngazidja placement: HiGHS given an hour",
                "long text",
                "## Scaling: x",
                "scale text",
            ]
        )
    )
    monkeypatch.setattr(bm, "__file__", str(tmp_path / "__main__.py"))
    kept = bm._old_sections(bm._PREFIX["placement-long"])
    assert kept == [
        "<!-- placement-long: then -->",
        "## Ngazidja placement: HiGHS given an hour",
        "long text",
    ]
    old = results.read_text().splitlines()
    text = bm.splice(old, "placement", bm._PREFIX["placement"], ["## Placement: new"], "how")
    assert "long text" in text and "short text" not in text


def test_bench_never_runs_the_benchmarks_of_an_arbitrary_folder(tmp_path, monkeypatch, capsys):
    """A benchmarks/__main__.py in the current folder that is not a rural_plan checkout is
    someone else's code: never run (it used to be)."""
    from rural_plan.cli import bench

    (tmp_path / "benchmarks").mkdir()
    (tmp_path / "benchmarks" / "__init__.py").write_text("")
    (tmp_path / "benchmarks" / "__main__.py").write_text(_RECORDER)
    monkeypatch.chdir(tmp_path)
    ran = []
    real_run = subprocess.run

    def only_the_recorder(argv, *, cwd, **kwargs):  # never the clone's real benchmarks
        ran.append(cwd)
        assert Path(cwd) == tmp_path.resolve(), f"would run the benchmarks of {cwd}"
        return real_run(argv, cwd=cwd, **kwargs)

    monkeypatch.setattr(subprocess, "run", only_the_recorder)
    assert bench.benchmarks_repo(None) == REPO.resolve()  # the install's own clone
    # installed from a wheel (no clone beside the package): refused, nothing run
    monkeypatch.setattr(bench, "__file__", str(tmp_path / "site" / "rural_plan" / "cli" / "b.py"))
    assert main(["bench"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a rural_plan checkout" not in err
    assert "that belongs to a rural_plan checkout" in err and "--repo DIR" in err
    assert not (tmp_path / "argv.json").exists()
    # with --repo the user names the clone: run
    assert main(["bench", "-q", "--repo", str(tmp_path)]) == 3
    assert (tmp_path / "argv.json").exists() and len(ran) == 1
