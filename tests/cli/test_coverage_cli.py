"""`rural-plan coverage`: one site's coverage map from a DEM alone.

Flat terrain is checked by hand (free space of the 3-D distance; ITM and the diffraction
models equal their own point-to-point value over the same flat profile); rx_dbm is EIRP
minus the loss; the file is a COG with named bands and NaN nodata, written atomically
and never over a file unless --overwrite; bad input is one line and exit 2; and a real
Ngazidja site agrees with ITM point to point on the DEM's own profile.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.warp
from affine import Affine

from rural_plan.cli import main
from rural_plan.io.profiles import Profile
from rural_plan.propagation.itm import itm_p2p
from rural_plan.propagation.point_to_point import PathSettings, path_loss
from tests.cli.test_bad_inputs import refused
from tests.conftest import require_data
from tests.references import fspl_ref

CELL = 30.0
N = 161  # DEM cells a side; the site at its centre cell
X0, Y1 = 300_000.0, 8_720_000.0  # UTM 38S (Ngazidja)
SITE_X, SITE_Y = X0 + (N // 2 + 0.5) * CELL, Y1 - (N // 2 + 0.5) * CELL


def _dem(path: Path, data, *, crs="EPSG:32738", transform=None) -> Path:
    data = np.asarray(data, dtype="float32")
    profile = dict(driver="GTiff", width=data.shape[1], height=data.shape[0], count=1)
    profile.update(dtype="float32", transform=transform or Affine(CELL, 0, X0, 0, -CELL, Y1))
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)
    return path


def _site_lonlat() -> tuple[float, float]:
    lon, lat = rasterio.warp.transform("EPSG:32738", "EPSG:4326", [SITE_X], [SITE_Y])
    return float(lon[0]), float(lat[0])


def _coverage(capsys, dem: Path, out: Path, *extra: str, model="itm", radius="2000") -> dict:
    lon, lat = _site_lonlat()
    argv = ["coverage", "-q", "--dem", str(dem), "--lon", repr(lon), "--lat", repr(lat)]
    argv += ["--h-tx-m", "20", "--h-rx-m", "1.5", "--f-mhz", "900", "--radius-m", radius]
    argv += ["--model", model, "-o", str(out), *extra]
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def _bands(path: Path) -> tuple[np.ndarray, ...]:
    with rasterio.open(path) as ds:
        return tuple(ds.read(i + 1) for i in range(ds.count))


@pytest.fixture
def flat(tmp_path) -> Path:
    return _dem(tmp_path / "flat.tif", np.full((N, N), 120.0))


def test_flat_ground_free_space_and_received_power(tmp_path, capsys, flat):
    """free-space on flat ground: 20 log10(4π r / λ) over the 3-D distance to each cell
    along the site's row and column (where the ray samples sit on cell centres);
    rx_dbm = EIRP − loss."""
    out = tmp_path / "fs.tif"
    info = _coverage(capsys, flat, out, "--eirp-dbm", "50", model="free-space")
    assert info["crs"] == "EPSG:32738" and info["cell_size_m"] == CELL
    r = info["radius_cells"]
    assert r == math.ceil(2000 / CELL) and info["model"] == "free-space"
    loss, rx = _bands(out)
    assert loss.shape == (2 * r + 1, 2 * r + 1)
    for k in (1, 5, 20, r - 1):
        want = fspl_ref(math.hypot(k * CELL, 18.5), 900.0)
        for a, b in ((r, r + k), (r, r - k), (r + k, r), (r - k, r)):
            assert loss[a, b] == pytest.approx(want, abs=2e-4)
    np.testing.assert_array_equal(rx, np.float32(50.0) - loss)
    rr, cc = np.mgrid[-r : r + 1, -r : r + 1]
    inside = np.hypot(rr, cc) * CELL <= 2000.0 * (1 + 1e-9)
    np.testing.assert_array_equal(np.isfinite(loss), inside)
    assert info["cells"] == int(inside.sum())
    with rasterio.open(out) as ds:
        assert ds.descriptions == ("path_loss_db", "rx_dbm")
        assert math.isnan(ds.nodata) and ds.profile["tiled"] and ds.tags()["model"] == "free-space"


def _flags(command: str) -> dict[str, object]:
    """``{flag: default}`` of a command's options."""
    import argparse

    from rural_plan.cli.main import COMMANDS

    module = next(c for c in COMMANDS if c.NAME == command)
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return {
        flag: action.default
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--")
    }


def test_model_clutter_and_location_flags_are_paths():
    """Every flag of ``rural-plan path`` for the models' parameters, ITM's time / location /
    situation and the handset's clutter is ``coverage``'s too, with the same default (one
    definition: ``cli.path.model_options``); --ns-direct is a profile's only."""
    path, coverage = _flags("path"), _flags("coverage")
    shared = set(path) - {"--help", "--ns-direct"}
    assert shared <= set(coverage)
    assert {f: path[f] for f in shared} == {f: coverage[f] for f in shared}
    for flag in ("--clutter-type", "--street-width-m", "--clutter-height-m", "--location"):
        assert flag in shared
    assert "--ns-direct" not in coverage


def test_clutter_is_paths_clutter_loss(tmp_path, capsys, flat):
    """--clutter-type adds to every cell the clutter_loss_db ``rural-plan path`` reports
    for the same flags."""
    clutter = ["--clutter-type", "suburban", "--street-width-m", "20"]
    plain = _coverage(capsys, flat, tmp_path / "a.tif", model="free-space")
    cl = _coverage(capsys, flat, tmp_path / "b.tif", *clutter, model="free-space")
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"elevations_m": [120.0] * 11, "step_m": CELL}))
    argv = ["path", "-q", str(profile), "--model", "free-space", "--f-mhz", "900"]
    argv += ["--h-tx-m", "20", "--h-rx-m", "1.5", *clutter]
    assert main(argv) == 0
    want = json.loads(capsys.readouterr().out)["clutter_loss_db"]
    assert want > 0 and cl["clutter_loss_db"] == pytest.approx(want, abs=1e-4)
    a, b = _bands(tmp_path / "a.tif")[0], _bands(tmp_path / "b.tif")[0]
    ok = np.isfinite(a)
    np.testing.assert_allclose(b[ok] - a[ok], want, atol=1e-4)
    assert plain["clutter_loss_db"] == 0.0


@pytest.mark.parametrize("model", ["itm", "delta-bullington", "bullington", "deygout"])
def test_flat_ground_is_the_models_own_point_to_point_value(tmp_path, capsys, flat, model):
    """The cell k samples east of the site holds the model's point-to-point loss over the
    flat profile of k + 1 points (``rural-plan path``'s values)."""
    out = tmp_path / f"{model}.tif"
    info = _coverage(capsys, flat, out, model=model)
    (loss,) = _bands(out)
    r = info["radius_cells"]
    settings = PathSettings(f_mhz=900.0, h_tx_m=20.0, h_rx_m=1.5, allow_extrapolation=True)
    for k in (3, 17, 40, r - 1):
        z = np.full(k + 1, 120.0)
        if model == "itm":
            want = itm_p2p(
                elevations_m=z, step_m=CELL, h_tx_m=20.0, h_rx_m=1.5, f_mhz=900.0
            ).loss_db
        else:
            want = path_loss(Profile(np.arange(k + 1) * CELL, z), model, settings)["loss_db"]
        assert loss[r, r + k] == pytest.approx(want, abs=2e-3), k


def test_geographic_dem_is_warped_to_the_local_utm_zone(tmp_path, capsys):
    """A lon/lat DEM (1" cells, like SRTM): the map is in UTM 38S at the DEM's own
    resolution in metres, unless --cell-size-m says otherwise."""
    dem = _dem(
        tmp_path / "geo.tif",
        np.full((400, 400), 50.0),
        crs="EPSG:4326",
        transform=Affine(1 / 3600, 0, 43.30, 0, -1 / 3600, -11.60),
    )
    lon, lat = 43.30 + 200 / 3600, -11.60 - 200 / 3600
    base = ["coverage", "-q", "--dem", str(dem), "--lon", str(lon), "--lat", str(lat)]
    base += ["--h-tx-m", "15", "--h-rx-m", "1.5", "--f-mhz", "900", "--radius-m", "1000"]
    base += ["--model", "fspl-knife-edge"]
    assert main([*base, "-o", str(tmp_path / "a.tif")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["crs"] == "EPSG:32738"
    assert info["cell_size_m"] == pytest.approx(30.87 * math.cos(math.radians(lat)), rel=2e-3)
    assert main([*base, "--cell-size-m", "90", "-o", str(tmp_path / "b.tif")]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["cell_size_m"] == 90.0 and info["radius_cells"] == 12


def test_existing_output_is_kept_unless_overwrite(tmp_path, capsys, flat):
    out = tmp_path / "map.tif"
    out.write_bytes(b"the user's file")
    lon, lat = _site_lonlat()
    argv = ["coverage", "--dem", str(flat), "--lon", repr(lon), "--lat", repr(lat)]
    argv += ["--h-tx-m", "20", "--h-rx-m", "1.5", "--f-mhz", "900", "--radius-m", "1000"]
    argv += ["--model", "free-space", "-o", str(out)]
    refused(tmp_path, capsys, argv, "map.tif: exists; pass --overwrite")
    assert out.read_bytes() == b"the user's file"
    assert main([*argv, "-q", "--overwrite"]) == 0
    capsys.readouterr()
    assert _bands(out)[0].shape == (69, 69)  # R = ⌈1000 / 30⌉ = 34
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flat.tif", "map.tif"]


_GOOD = {
    "--h-tx-m": "20",
    "--h-rx-m": "1.5",
    "--f-mhz": "900",
    "--radius-m": "1000",
    "--model": "itm",
}


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"--f-mhz": "90000"}, ["--f-mhz", "valid 30..6000"]),
        ({"--radius-m": "10"}, ["--radius-m", "valid 500..100000"]),
        ({"--h-rx-m": "0"}, ["--h-rx-m", "valid 0.5..30"]),
        ({"--h-tx-m": "900"}, ["--h-tx-m", "2..150"]),
        ({"--lon": "200"}, ["--lon", "-180..180"]),
        ({"--mdvar": "5"}, ["mdvar = 5 is invalid"]),
        ({"--reliability": "90"}, ["--reliability and --confidence"]),
        ({"--cell-size-m": "0"}, ["--cell-size-m", "1..10000"]),
        ({"--cell-size-m": "1", "--radius-m": "5000"}, ["--radius-m 5000", "--cell-size-m 2.5"]),
        (
            {"--model": "okumura-hata", "--f-mhz": "2500"},
            ["--f-mhz=2500 (valid 150..1500)", "--allow-extrapolation"],
        ),
        ({"--clutter-type": "urban", "--f-mhz": "3500"}, ["--clutter-type", "30 to 3000 MHz"]),
        ({"--eirp-dbm": "200"}, ["--eirp-dbm", "10..80"]),
        ({"--lon": "10"}, ["--lon 10", "lies outside", "flat.tif"]),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, flat, change, needles):
    lon, lat = _site_lonlat()
    values = {"--dem": str(flat), "--lon": repr(lon), "--lat": repr(lat), **_GOOD, **change}
    argv = ["coverage", *[x for kv in values.items() for x in kv], "-o", str(tmp_path / "o.tif")]
    refused(tmp_path, capsys, argv, *needles)


def refused_by_parser(capsys, argv: list[str], *needles: str) -> None:
    """argparse's own refusals (a value that is not a number, a choice not offered, a
    missing flag) exit 2 with one line too (SystemExit, as argparse does)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("rural-plan: error: "), err
    for needle in needles:
        assert needle in err[0]


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"--lat": "north"}, ["--lat", "invalid float value: 'north'"]),
        ({"--model": "itm2"}, ["--model", "invalid choice: 'itm2'", "delta-bullington"]),
        ({"--clutter-type": "jungle"}, ["--clutter-type", "invalid choice"]),
        ({"--climate": "9"}, ["--climate", "whole number in [1, 7]"]),
        ({"--time": "100"}, ["--time", "(0, 100)"]),
    ],
)
def test_command_line_errors_are_one_line_exit_2(tmp_path, capsys, flat, change, needles):
    lon, lat = _site_lonlat()
    values = {"--dem": str(flat), "--lon": repr(lon), "--lat": repr(lat), **_GOOD, **change}
    argv = ["coverage", *[x for kv in values.items() for x in kv], "-o", str(tmp_path / "o.tif")]
    refused_by_parser(capsys, argv, *needles)
    refused_by_parser(capsys, ["coverage", "--dem", str(flat), "--lon", "43"], "required")


def test_bad_dem_files_are_one_line_exit_2(tmp_path, capsys):
    lon, lat = _site_lonlat()
    rest = ["--lon", repr(lon), "--lat", repr(lat)]
    rest += [x for kv in _GOOD.items() for x in kv] + ["-o", str(tmp_path / "o.tif")]
    refused(tmp_path, capsys, ["coverage", "--dem", str(tmp_path / "nope.tif"), *rest], "nope.tif")
    no_crs = _dem(tmp_path / "nocrs.tif", np.zeros((10, 10)), crs=None)
    refused(tmp_path, capsys, ["coverage", "--dem", str(no_crs), *rest], "no CRS")
    text = tmp_path / "text.tif"
    text.write_text("not a raster")
    refused(tmp_path, capsys, ["coverage", "--dem", str(text), *rest], "not a raster")
    folder = tmp_path / "nowhere" / "o.tif"
    flat = _dem(tmp_path / "flat2.tif", np.full((N, N), 120.0))
    argv = ["coverage", "--dem", str(flat), *rest[:-2], "-o", str(folder)]
    refused(tmp_path, capsys, argv, "does not exist")


def test_real_ngazidja_site_is_itm_on_the_dems_own_profile(tmp_path, capsys):
    """Koimbani on Ngazidja's 1" SRTM at 90 m: about π R² cells, and the cells due east
    and due south of the site hold ITM point to point over the warped DEM's own row and
    column (the sweep samples them on cell centres)."""
    from rural_plan.grid.site import site_terrain

    dem = require_data("comoros", "com_dem_srtm1_1arcsec.tif")
    lon, lat = 43.3655926, -11.6222256
    out = tmp_path / "koimbani.tif"
    argv = ["coverage", "-q", "--dem", str(dem), "--lon", str(lon), "--lat", str(lat)]
    argv += ["--h-tx-m", "15", "--h-rx-m", "1.5", "--f-mhz", "900", "--radius-m", "15000"]
    argv += ["--model", "itm", "--cell-size-m", "90", "--eirp-dbm", "56", "-o", str(out)]
    assert main(argv) == 0
    info = json.loads(capsys.readouterr().out)
    r = info["radius_cells"]
    assert r == 167 and info["crs"] == "EPSG:32738"
    assert abs(info["cells"] - math.pi * r * r) < 0.01 * math.pi * r * r
    assert info["seconds"] > 0 and info["compile_seconds"] >= 0
    loss, rx = _bands(out)
    np.testing.assert_array_equal(rx, np.float32(56.0) - loss)
    assert 60 < np.nanmin(loss) and np.nanmax(loss) < 260
    terrain = site_terrain(dem, lon=lon, lat=lat, radius_m=15_000.0, cell_size_m=90.0)
    z = terrain.grid.elevation_m
    for k in (10, 60, 150):
        east = itm_p2p(
            elevations_m=z[r, r : r + k + 1], step_m=90.0, h_tx_m=15.0, h_rx_m=1.5, f_mhz=900.0
        )
        south = itm_p2p(
            elevations_m=z[r : r + k + 1, r], step_m=90.0, h_tx_m=15.0, h_rx_m=1.5, f_mhz=900.0
        )
        assert loss[r, r + k] == pytest.approx(east.loss_db, abs=2e-3)
        assert loss[r + k, r] == pytest.approx(south.loss_db, abs=2e-3)
