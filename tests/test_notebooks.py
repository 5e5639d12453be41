"""Every notebook in notebooks/ runs top to bottom (its own asserts included)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def _kernel_available() -> str | None:
    try:
        import ipykernel  # noqa: F401
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as err:
        return f"notebook runner not installed ({err.name}); pip install '.[test]'"
    return None


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    reason = _kernel_available()
    if reason:
        pytest.skip(reason)
    import nbformat
    from nbclient import NotebookClient

    # run a copy beside the repository's folders, so relative paths resolve as for a user
    work = tmp_path / "notebooks"
    shutil.copytree(path.parent, work)
    repo = path.parents[1]
    for folder in ("scenarios",):
        (tmp_path / folder).symlink_to(repo / folder)
    nb = nbformat.read(work / path.name, as_version=4)
    # ipykernel installs its "python3" kernel spec into this environment's prefix, so
    # the notebook runs on this interpreter (the one the tests installed the package in)
    assert (Path(sys.prefix) / "share" / "jupyter" / "kernels" / "python3").exists()
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors
