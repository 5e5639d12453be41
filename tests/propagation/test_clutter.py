"""ITU-R P.2108-1 clutter loss against NTIA's C++ reference implementation (NTIA/p2108
v1.1: ../shared/oracles/p2108, 200 cases, fair tolerance 1e-6 dB), and the properties the
Recommendation states."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rural_plan.errors import PropagationError
from rural_plan.propagation.clutter import (
    CLUTTER_TYPES,
    height_gain_correction_db,
    inverse_complementary_normal,
    terrestrial_statistical_loss_db,
)
from tests.conftest import REPO

ORACLE = REPO.parent / "shared" / "oracles" / "p2108" / "p2108_cases.csv"


def _cases(model: str) -> list[dict[str, str]]:
    if not ORACLE.exists():
        pytest.skip(f"oracle not available: {ORACLE}")
    with open(ORACLE, newline="") as f:
        return [r for r in csv.DictReader(f) if r["model"] == model]


def _decimals(text: str) -> int:
    return len(text.split(".")[1]) if "." in text else 0


def _within_rounding(fn, rows, columns, scale):
    """Each oracle value lies within the range ``fn(row, *inputs)`` takes over the box of
    inputs that print as the row's (each of ``columns`` rounded to the decimals shown),
    widened by 1e-6 dB.

    The oracle's inputs are the random draws printed to 4-6 decimals, its losses were
    computed from the draws themselves: a rounded input moves a loss by up to ~1e-4 dB,
    so the exact match the oracle's README asks for (1e-6 dB) holds only within that box.
    The boxes are checked to be tight: half of them span under 2e-4 dB (a terminal a few
    centimetres high, where log10(h / R) is steep, spans up to ~0.1 dB)."""
    corners = np.array(np.meshgrid(*[[-0.5, 0.5]] * len(columns))).reshape(len(columns), -1).T
    widths = []
    for r in rows:
        base = np.array([float(r[c]) for c in columns])
        half = np.array([10.0 ** -_decimals(r[c]) for c in columns])
        values = [fn(r, *((base + s * half) * scale)) for s in corners]
        lo, hi = min(values), max(values)
        widths.append(hi - lo)
        assert lo - 1e-6 <= float(r["loss_db"]) <= hi + 1e-6, (r, lo, hi)
    assert np.median(widths) < 2e-4 and max(widths) < 0.2


def test_height_gain_correction_equals_ntia():
    rows = _cases("height-gain")
    assert len(rows) == 100 and {int(r["clutter_type"]) for r in rows} == set(range(1, 7))

    def fn(r, f_mhz, h_m, w_s_m):
        r_m = float(r["R_m"])  # Table 3's exact heights (10, 15, 20 m): not rounded
        kind = CLUTTER_TYPES[int(r["clutter_type"]) - 1]
        return height_gain_correction_db(f_mhz, h_m, w_s_m, r_m, kind)

    _within_rounding(fn, rows, ("f_ghz", "h_m", "w_s_m"), np.array([1000.0, 1.0, 1.0]))


def test_terrestrial_statistical_loss_equals_ntia():
    rows = _cases("terrestrial-statistical")
    assert len(rows) == 100
    _within_rounding(
        lambda r, f, d, p: terrestrial_statistical_loss_db(f, d, p),
        rows,
        ("f_ghz", "d_km", "p_pct"),
        np.array([1000.0, 1.0, 1.0]),
    )


@given(
    f=st.floats(30.0, 3000.0),
    h1=st.floats(0.5, 30.0),
    h2=st.floats(0.5, 30.0),
    kind=st.sampled_from(CLUTTER_TYPES),
)
def test_a_higher_terminal_never_sees_more_clutter_and_none_above_it(f, h1, h2, kind):
    lo, hi = sorted((h1, h2))
    a_lo = height_gain_correction_db(f, lo, 27.0, 15.0, kind)
    a_hi = height_gain_correction_db(f, hi, 27.0, 15.0, kind)
    assert a_hi <= a_lo + 1e-9
    assert height_gain_correction_db(f, 15.0, 27.0, 15.0, kind) == 0.0


@given(p1=st.floats(1.0, 99.0), p2=st.floats(1.0, 99.0), d=st.floats(0.25, 50.0))
def test_statistical_loss_grows_with_the_share_of_locations(p1, p2, d):
    lo, hi = sorted((p1, p2))
    assert terrestrial_statistical_loss_db(2000.0, d, lo) <= (
        terrestrial_statistical_loss_db(2000.0, d, hi) + 1e-9
    )


def test_inverse_normal_is_the_p1057_approximation():
    from scipy.stats import norm

    q = np.linspace(0.001, 0.999, 999)
    assert np.abs(inverse_complementary_normal(q) - norm.isf(q)).max() < 4.5e-4


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: height_gain_correction_db(20.0, 1.5, 27, 10, "urban"), "f_mhz = 20"),
        (lambda: height_gain_correction_db(900.0, 0.0, 27, 10, "urban"), "h_m = 0"),
        (lambda: height_gain_correction_db(900.0, 1.5, 27, 10, "swamp"), "swamp"),
        (lambda: terrestrial_statistical_loss_db(300.0, 1.0, 50.0), "f_mhz = 300"),
        (lambda: terrestrial_statistical_loss_db(2000.0, 0.1, 50.0), "d_km = 0.1"),
        (lambda: terrestrial_statistical_loss_db(2000.0, 1.0, 100.0), "p_pct"),
    ],
)
def test_out_of_range_inputs_are_one_clear_error(call, needle):
    with pytest.raises(PropagationError, match=r"P\.2108") as info:
        call()
    assert needle in str(info.value)
