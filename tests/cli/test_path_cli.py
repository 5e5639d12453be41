"""`rural-plan path`: the point-to-point contract, checked against published ITM values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rural_plan.cli import main
from tests.conftest import REPO

ORACLES = REPO.parent / "shared" / "oracles"


def _crystal_palace(tmp_path: Path) -> tuple[Path, dict]:
    src = ORACLES / "itm_qkpfl_crystal_palace" / "crystal_palace_mursley.json"
    if not src.exists():
        pytest.skip(f"oracle not available: {src}")
    data = json.loads(src.read_text())
    pfl = data["profile"]["pfl"]
    profile = tmp_path / "crystal_palace.json"
    profile.write_text(json.dumps({"elevations_m": pfl[2:], "step_m": pfl[1]}))
    return profile, data


def _run(capsys, argv) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_crystal_palace_every_published_quantile(tmp_path, capsys):
    profile, data = _crystal_palace(tmp_path)
    n = 0
    for test in data["tests"]:
        for q in test["quantiles"]:
            out = _run(
                capsys,
                [
                    "path",
                    str(profile),
                    "--model",
                    "itm",
                    "--f-mhz",
                    str(test["f_mhz"]),
                    "--h-tx-m",
                    str(test["h_tx_m"]),
                    "--h-rx-m",
                    str(test["h_rx_m"]),
                    "--pol",
                    "horizontal",
                    "--epsilon",
                    str(test["epsilon"]),
                    "--sigma",
                    str(test["sigma_S_per_m"]),
                    "--climate",
                    str(test["climate"]),
                    "--n0",
                    str(test["N_s"]),
                    "--ns-direct",
                    "--mdvar",
                    str(test["mdvar_qkpfl"]),
                    "--reliability",
                    str(q["reliability_pct"]),
                    "--confidence",
                    str(q["confidence_pct"]),
                ],
            )
            assert out["model"] == "itm"
            assert abs(out["loss_db"] - q["A_db_published"]) <= 0.05
            assert abs(out["loss_db"] - q["A_db_ntia_cpp_Ns314"]) <= 0.01
            n += 1
    assert n == 30
    # Intermediate values: QKPFL test 1 header.
    assert out["path_type"] == "double_horizon"


def test_crystal_palace_n0_scaled_like_ntia(tmp_path, capsys):
    profile, data = _crystal_palace(tmp_path)
    test = data["tests"][0]
    q = next(
        q for q in test["quantiles"] if q["reliability_pct"] == 50 and q["confidence_pct"] == 50
    )
    out = _run(
        capsys,
        [
            "path",
            str(profile),
            "--model",
            "itm",
            "--f-mhz",
            "41.5",
            "--h-tx-m",
            "143.9",
            "--h-rx-m",
            "8.5",
            "--pol",
            "horizontal",
            "--n0",
            str(data["ntia_cpp_N0_that_gives_Ns314"]),
            "--mdvar",
            "12",
            "--reliability",
            "50",
            "--confidence",
            "50",
        ],
    )
    assert out["n_s"] == pytest.approx(314.0, abs=1e-6)
    assert abs(out["loss_db"] - q["A_db_ntia_cpp_Ns314"]) <= 0.01
    assert out["h_e_m"] == pytest.approx([240.5, 18.4], abs=0.05)


def test_distances_form_and_diffraction_models(tmp_path, capsys):
    # A single 30 m wall half-way on flat ground: every diffraction model sees it.
    d = np.linspace(0, 10_000, 101)
    z = np.full(101, 100.0)
    z[50] = 160.0
    profile = tmp_path / "wall.json"
    profile.write_text(json.dumps({"elevations_m": z.tolist(), "distances_m": d.tolist()}))
    common = ["--f-mhz", "900", "--h-tx-m", "20", "--h-rx-m", "10", "--k-factor", "1e6"]
    lam = 299_792_458.0 / 900e6
    h = 160.0 - (120.0 + 110.0) / 2  # wall top above the direct ray, mid-path
    nu = h * np.sqrt(2 / lam * (1 / 5000 + 1 / 5000))
    j = 6.9 + 20 * np.log10(np.sqrt((nu - 0.1) ** 2 + 1) + nu - 0.1)
    free = 20 * np.log10(4 * np.pi * np.hypot(10_000, 10) / lam)
    ke = _run(capsys, ["path", str(profile), "--model", "knife-edge", *common])
    assert ke["diffraction_loss_db"] == pytest.approx(j, abs=0.05)
    for model in ("knife-edge", "bullington", "delta-bullington", "deygout"):
        out = _run(capsys, ["path", str(profile), "--model", model, *common])
        assert out["diffraction_loss_db"] >= j - 0.05, model
        assert out["free_space_loss_db"] == pytest.approx(free, abs=1e-6)
        assert out["free_space_db"] == out["free_space_loss_db"]  # the older key, kept
        # loss_db is the total basic transmission loss, for every model
        assert out["loss_db"] == pytest.approx(free + out["diffraction_loss_db"], abs=1e-9)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ('{"elevations_m": [1, 2, 3]}', "exactly one of step_m or distances_m"),
        ('{"elevations_m": [1, 2], "step_m": 10}', "at least 3"),
        (
            '{"elevations_m": [1, 2, 3], "step_m": -5}',
            "step_m must be a number of metres 0.01..100000",
        ),
        ('{"elevations_m": [1, 2, 3], "distances_m": [0, 5]}', "distances_m has 2 values"),
        ("not json", "not a readable JSON profile"),
    ],
)
def test_bad_profile_one_line_exit_2(tmp_path, capsys, content, needle):
    profile = tmp_path / "p.json"
    profile.write_text(content)
    argv = [
        "path",
        str(profile),
        "--model",
        "itm",
        "--f-mhz",
        "900",
        "--h-tx-m",
        "30",
        "--h-rx-m",
        "2",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0]


def test_out_of_range_frequency_is_refused(tmp_path, capsys):
    profile = tmp_path / "p.json"
    profile.write_text('{"elevations_m": [10, 20, 15, 12], "step_m": 1000}')
    argv = [
        "path",
        str(profile),
        "--model",
        "itm",
        "--f-mhz",
        "5",
        "--h-tx-m",
        "30",
        "--h-rx-m",
        "2",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "f_mhz" in err or "frequency" in err


def test_every_model_reports_the_total_loss_and_its_parts(tmp_path, capsys):
    """loss_db is the total basic transmission loss for every model: free space plus what
    the model adds (diffraction or excess loss) plus clutter at the receiver."""
    d = np.linspace(0, 5_000, 51)
    z = 100.0 + 20.0 * np.sin(d / 700.0)
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"elevations_m": z.tolist(), "distances_m": d.tolist()}))
    common = ["--f-mhz", "900", "--h-tx-m", "35", "--h-rx-m", "1.5", "--allow-extrapolation"]
    from rural_plan.scenario.names import PATH_MODEL_NAMES

    for model in PATH_MODEL_NAMES:
        out = _run(capsys, ["path", str(profile), "--model", model, *common])
        part = out.get("diffraction_loss_db", out.get("excess_loss_db"))
        assert part is not None, model
        assert out["clutter_loss_db"] == 0.0
        assert out["loss_db"] == pytest.approx(out["free_space_loss_db"] + part, abs=1e-9), model
        assert out["loss_db"] > out["free_space_loss_db"] - 30.0, model
        cl = _run(
            capsys, ["path", str(profile), "--model", model, *common, "--clutter-type", "suburban"]
        )
        assert cl["clutter_loss_db"] > 10.0
        assert cl["loss_db"] == pytest.approx(out["loss_db"] + cl["clutter_loss_db"], abs=1e-9)
    itm = _run(capsys, ["path", str(profile), "--model", "itm", *common])
    # the mode follows the terrain: a blocked path is never "line_of_sight"
    assert itm["path_type"] != "line_of_sight" or itm["mode"] == "line_of_sight"
    assert itm["path_type"] == "line_of_sight" or itm["mode"] != "line_of_sight"
