"""SPLAT! 1.4.2 (``benchmarks/peers/splat.py``) and ``rural-plan coverage`` on the
benchmark's Ngazidja site (15 km, ITM with the same parameters): the maps agree, median
|Δ| within 1 dB and no offset (benchmarks/RESULTS.md has the figures).
Skips, saying why, without SPLAT! (apt-get install splat) or the SRTM tile."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import coverage as bench
from benchmarks.peers import splat
from rural_plan.cli import main
from tests.conftest import require_data


@pytest.mark.slow
def test_splat_and_rural_plan_agree_on_an_ngazidja_site(tmp_path, capsys):
    reason = splat.missing()
    if reason is not None:
        pytest.skip(f"SPLAT! is not installed: {reason}")
    tile = require_data("comoros", "srtm1", "S12E043.SRTMGL1.hgt.zip")
    _, lon, lat = bench.SITE
    terrain = splat.convert_tile(tile, tmp_path / "sdf")
    site = splat.run_site(
        terrain,
        tmp_path / "splat",
        lon=lon,
        lat=lat,
        h_tx_m=15.0,
        h_rx_m=1.5,
        f_mhz=900.0,
        radius_km=15.0,
        **bench._itm_defaults(),
    )
    n = site.loss_db.size
    assert abs(n - np.pi * 15_000**2 / (30.87 * 30.2)) < 0.05 * n  # one point per 1" post
    out = tmp_path / "ours.tif"
    argv = ["coverage", "-q", "--dem", str(tile), "--lon", str(lon), "--lat", str(lat)]
    argv += ["--h-tx-m", "15", "--h-rx-m", "1.5", "--f-mhz", "900", "--radius-m", "15000"]
    assert main([*argv, "--model", "itm", "-o", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["cells"] > 0.95 * n
    agree = bench.agreement(site, out)
    assert agree["compared"] > 0.98 * n
    assert agree["sample_median_abs_db"] <= 1.0, agree
    assert agree["all_median_abs_db"] <= 1.0, agree
    assert abs(agree["all_median_signed_db"]) <= 0.5, agree
    assert agree["all_p90_abs_db"] <= 10.0, agree


def test_the_ano_file_is_read_with_east_longitudes(tmp_path):
    """SPLAT!'s -ano text: two header lines, then lat, west longitude, azimuth, elevation
    angle, loss (a trailing * marks no line of sight)."""
    ano = tmp_path / "x.ano"
    ano.write_text(
        "317, 316\t; max_west, min_west\n-11, -12\t; max_north, min_north\n"
        "-11.6218369, 316.6340100, 45.044, -22.593, 61.25\n"
        "-11.6204766, 316.6326191, 45.044, -7.830, 80.50 *\n"
    )
    lat, lon_west, loss = splat.read_ano(ano)
    np.testing.assert_allclose(lat, [-11.6218369, -11.6204766])
    np.testing.assert_allclose(360.0 - lon_west, [43.36599, 43.3673809])
    np.testing.assert_allclose(loss, [61.25, 80.50])
