"""Reading point layers: a CSV without coordinate columns is one clear error."""

from __future__ import annotations

import pytest


def test_csv_without_coordinates_is_one_clear_error(tmp_path):
    from rural_plan.errors import RuralPlanError
    from rural_plan.io.vectors import read_points

    bad = tmp_path / "bad.csv"
    bad.write_text("name,east,north\na,1,2\n")
    with pytest.raises(RuralPlanError, match=r"bad\.csv: CSV needs a longitude column"):
        read_points(bad)
