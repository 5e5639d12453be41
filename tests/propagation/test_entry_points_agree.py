"""`rural-plan path` and a scenario answer alike: the same ITM defaults (mdvar included)
from the one schema, and the same loss on the same profile."""

from __future__ import annotations

import json

import numpy as np
import pytest
from affine import Affine

from rural_plan.cli import main
from rural_plan.grid.align import finish_grid
from rural_plan.propagation import site_loss_window
from rural_plan.propagation.settings import RadioSettings
from rural_plan.scenario import scenario_from_mapping
from rural_plan.scenario.schema import ItmParams

CELL_M = 100.0
N = 41
SITE_COL = 5
CELLS_OUT = 20  # 2 km east of the site: within ITM's range, past its 1 km minimum


def _terrain() -> np.ndarray:
    """Heights vary along columns only, so the ray east from the site samples cell
    centres exactly: its profile is a row of the DEM."""
    col = np.arange(N, dtype=np.float64)
    z = 200.0 + 25.0 * np.sin(col / 4.0) + 90.0 * np.exp(-(((col - 17.0) / 2.5) ** 2))
    return np.tile(z, (N, 1))


def _grid(elev: np.ndarray):
    return finish_grid(
        elevation_m=elev,
        population=np.zeros_like(elev),
        people_input_total=0.0,
        in_area=np.ones(elev.shape, bool),
        transform=Affine(CELL_M, 0, 0, 0, -CELL_M, N * CELL_M),
        crs="EPSG:32737",
        cell_size_m=CELL_M,
        dem_voids="fill",
        max_void_fill_m=0.0,
        sea_level_m=0.0,
        population_max_move_m=0.0,
        reprojected_from="",
        dem_name="t",
    )


def _scenario(itm: dict):
    """A one-site scenario with the ITM model and its defaults but ``itm``."""
    return scenario_from_mapping(
        {
            "name": "one cell",
            "budget_usd": 1e6,
            "inputs": {"synthetic": {}},
            "radio": {"model": "itm", "radius_m": 2_500.0, "itm": itm},
            "site_types": {"pole": {"mast_height_m": 15.0, "eirp_dbm": 56.0, "power_w": 150.0}},
        },
        source="test",
    )


def _path_loss(tmp_path, capsys, profile: np.ndarray, *flags: str) -> float:
    path = tmp_path / "profile.json"
    path.write_text(json.dumps({"elevations_m": profile.tolist(), "step_m": CELL_M}))
    argv = ["path", str(path), "--model", "itm", "--f-mhz", "900", "--h-tx-m", "15"]
    assert main([*argv, "--h-rx-m", "1.5", *flags]) == 0
    return json.loads(capsys.readouterr().out)["loss_db"]


@pytest.mark.parametrize("time_pct, situation_pct", [(50.0, 50.0), (90.0, 80.0), (10.0, 95.0)])
def test_path_and_a_one_cell_scenario_give_the_same_itm_loss(
    tmp_path, capsys, time_pct, situation_pct
):
    elev = _terrain()
    scenario = _scenario({"time_pct": time_pct, "situation_pct": situation_pct})
    radio = RadioSettings.from_scenario(scenario)
    grid = _grid(elev)
    r = radio.radius_cells(grid)
    window = site_loss_window(grid, N // 2, SITE_COL, 15.0, radio)
    planned = float(window[r, r + CELLS_OUT])
    profile = elev[0, SITE_COL : SITE_COL + CELLS_OUT + 1]
    flags = ("--time", str(time_pct), "--situation", str(situation_pct))
    path = _path_loss(tmp_path, capsys, profile, *flags)
    assert planned == pytest.approx(path, abs=2e-3)  # the window is float32


def test_the_default_mdvar_is_the_schemas_and_it_matters(tmp_path, capsys):
    """Both entry points take mdvar from the schema; away from 50 % the mode changes
    the loss, so a different default in one of them would show."""
    assert RadioSettings.from_scenario(_scenario({})).params[5] == ItmParams().mdvar
    profile = _terrain()[0, SITE_COL : SITE_COL + CELLS_OUT + 1]
    flags = ("--time", "90", "--situation", "90")
    default = _path_loss(tmp_path, capsys, profile, *flags)
    same = _path_loss(tmp_path, capsys, profile, *flags, "--mdvar", str(ItmParams().mdvar))
    single_message = _path_loss(tmp_path, capsys, profile, *flags, "--mdvar", "0")
    assert default == same
    assert abs(default - single_message) > 0.1
