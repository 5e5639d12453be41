"""Commands that plan nothing start fast: ``--help``, ``validate`` and ``compare`` import
no numba (nor scipy, nor the geospatial stack), and neither does ``import rural_plan``;
the public names still work, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

HEAVY = ("numba", "scipy", "rasterio", "pyproj", "matplotlib", "networkx")

PROBE = """
import sys
from rural_plan.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("HEAVY", *sorted(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def _heavy_after(*argv: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    line = next(x for x in out.stderr.splitlines() if x.startswith("HEAVY"))
    return line.split()[1:]


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("run", "--help"),
        ("place", "--help"),
        ("path", "--help"),
        ("compare", "--help"),
        ("validate", "no-such-scenario.yaml"),
    ],
)
def test_commands_that_plan_nothing_import_no_numba(argv):
    assert _heavy_after(*argv) == []


def test_validate_checks_what_run_checks_and_draws_nothing():
    """``validate`` of a readable scenario runs every check ``run`` runs before planning
    (site costs against the budget, every input layer's header, the memory estimate;
    issue 22): those live in packages that load numba, so it does; it still loads no
    drawing stack (matplotlib) and plans nothing."""
    heavy = _heavy_after("validate", "scenarios/demo.yaml")
    assert "matplotlib" not in heavy


def test_compare_imports_no_numba(tmp_path):
    """``compare`` reads results folders: its workflow needs no kernel."""
    code = (
        "import sys; import rural_plan.workflows.compare, rural_plan.cli.compare;"
        f"print(*sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == []


def test_import_rural_plan_is_light_and_the_api_still_there():
    code = (
        "import sys, rural_plan; light = 'numba' not in sys.modules;"
        "from rural_plan import plan, Plan, Scenario, load_scenario, derive_scenario;"
        "from rural_plan.placement import CoverageInstance, select_greedy;"
        "print(light, callable(rural_plan.plan), rural_plan.Plan.__name__, "
        "sorted(set(rural_plan.__all__) - set(dir(rural_plan))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "Plan", "[]"]


def test_an_unknown_public_name_is_an_attribute_error():
    import rural_plan

    with pytest.raises(AttributeError, match="no_such_thing"):
        rural_plan.no_such_thing  # noqa: B018


def test_help_does_not_load_the_schema():
    """``--help`` builds no command's options, so it loads no pydantic (a command module
    imports the schema where it builds its own options)."""
    code = (
        "import sys\nfrom rural_plan.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('PYDANTIC', 'pydantic' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert "PYDANTIC False" in out.stderr, out.stderr
