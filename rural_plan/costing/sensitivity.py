"""How much the answer moves when the cost figures move: tornado and Monte-Carlo.

Both take an ``evaluate(preset) -> {metric: value}`` function that re-prices a fixed plan
(the coverage is already computed; see ``costing.plan_evaluator``) and a mapping of
figure key → (low, high) values, by default every figure's stated range
(``preset_ranges``). Cost figures have moved a lot between editions of the open planning
models, which is why the default ranges are wide (see ``default_range`` in the preset).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rural_plan.costing.presets import CostPreset, patch_preset
from rural_plan.errors import CostingError

Evaluate = Callable[[CostPreset], Mapping[str, float]]
DEFAULT_METRICS = ("people_per_1000_usd", "tco_usd")


def preset_ranges(
    preset: CostPreset, keys: Iterable[str] | None = None
) -> dict[str, tuple[float, float]]:
    """Each money figure's (low, high) value as stated in the preset (all of them by
    default; the site types' ``capacity_users``, which price nothing, are left out)."""
    if keys is None:
        return {k: v for k, v in preset.ranges.items() if not k.endswith(".capacity_users")}
    out = {}
    for key in keys:
        if key not in preset.ranges:
            raise CostingError(
                f"cost preset {preset.name!r} has no figure {key!r}; valid: "
                f"{', '.join(preset.ranges)}"
            )
        out[key] = preset.ranges[key]
    return out


@dataclass(frozen=True)
class TornadoRow:
    """One bar of the tornado: a figure at its low and at its high value, others at base."""

    parameter: str
    base_value: float
    low_value: float
    high_value: float
    at_low: dict[str, float]
    """Metrics with the figure at its low value."""
    at_high: dict[str, float]
    swing: float
    """|metric(high) − metric(low)| of the metric the rows are sorted by."""

    def as_dict(self, metrics: Sequence[str] = DEFAULT_METRICS) -> dict[str, Any]:
        """A flat row for ``sensitivity.csv``."""
        row: dict[str, Any] = {
            "parameter": self.parameter,
            "base_value": self.base_value,
            "low_value": self.low_value,
            "high_value": self.high_value,
        }
        for m in metrics:
            row[f"{m}_at_low"] = self.at_low.get(m)
            row[f"{m}_at_high"] = self.at_high.get(m)
        row["swing"] = self.swing
        return row


def _check_ranges(preset: CostPreset, ranges: Mapping[str, tuple[float, float]]) -> None:
    for key, pair in ranges.items():
        if key not in preset.figures:
            raise CostingError(
                f"cost preset {preset.name!r} has no figure {key!r}; valid: "
                f"{', '.join(preset.figures)}"
            )
        lo, hi = pair
        if not 0 <= lo <= hi:
            raise CostingError(f"sensitivity range of {key}: needs 0 <= low <= high, got {pair}")


def tornado(
    evaluate: Evaluate,
    preset: CostPreset,
    ranges: Mapping[str, tuple[float, float]],
    *,
    sort_by: str = "people_per_1000_usd",
) -> list[TornadoRow]:
    """One-at-a-time sensitivity: each figure at its low and high value, the rest at base.

    Rows are sorted by the swing of ``sort_by`` (largest first; ties by name), so the
    figures that matter most come first. Each row costs two calls of ``evaluate``.

    Examples
    --------
    >>> from rural_plan.costing import load_preset
    >>> p = load_preset("default")
    >>> key = "power.diesel.fuel_price_usd_per_l"
    >>> rows = tornado(lambda q: {"people_per_1000_usd": 1.0,
    ...                           "tco_usd": 100 * q.power["diesel"]["fuel_price_usd_per_l"]},
    ...                p, {key: (1.0, 2.0)}, sort_by="tco_usd")
    >>> rows[0].at_low["tco_usd"], rows[0].at_high["tco_usd"], rows[0].swing
    (100.0, 200.0, 100.0)
    """
    _check_ranges(preset, ranges)
    rows = []
    for key, (lo, hi) in ranges.items():
        at_low = dict(evaluate(patch_preset(preset, {key: lo}, note="sensitivity low")))
        at_high = dict(evaluate(patch_preset(preset, {key: hi}, note="sensitivity high")))
        if sort_by not in at_low:
            raise CostingError(
                f"tornado: evaluate() returns no {sort_by!r}; it returns {', '.join(at_low)}"
            )
        rows.append(
            TornadoRow(
                parameter=key,
                base_value=preset.figures[key],
                low_value=float(lo),
                high_value=float(hi),
                at_low=at_low,
                at_high=at_high,
                swing=abs(float(at_high[sort_by]) - float(at_low[sort_by])),
            )
        )
    rows.sort(key=lambda r: (-r.swing, r.parameter))
    return rows


@dataclass(frozen=True)
class MonteCarloResult:
    """Percentiles of each metric over ``n`` seeded draws of every figure in its range."""

    n: int
    seed: int
    percentiles: dict[str, dict[str, float]]
    """metric → {"p5": …, "p50": …, "p95": …}."""
    samples: dict[str, np.ndarray]
    """metric → the n values, in draw order."""

    def as_rows(self) -> list[dict[str, Any]]:
        """Rows for ``sensitivity_montecarlo.csv``: metric, p5, p50, p95, n, seed."""
        return [
            {"metric": m, **pcts, "n": self.n, "seed": self.seed}
            for m, pcts in self.percentiles.items()
        ]


def draw_figures(
    ranges: Mapping[str, tuple[float, float]], *, n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """``n`` seeded draws of every figure: log-uniform between low and high when low > 0
    (a [0.5, 2] multiplier range is symmetric about the base), uniform when low is 0.
    Returns the keys (sorted, so the draw does not depend on dict order) and an
    (n, len(keys)) array."""
    keys = sorted(ranges)
    lo = np.array([ranges[k][0] for k in keys], dtype=np.float64)
    hi = np.array([ranges[k][1] for k in keys], dtype=np.float64)
    u = np.random.default_rng(seed).random((n, len(keys)))
    log_ok = lo > 0
    safe_lo = np.where(log_ok, lo, 1.0)
    safe_hi = np.where(log_ok, hi, 1.0)
    log_draw = np.exp(np.log(safe_lo) + u * (np.log(safe_hi) - np.log(safe_lo)))
    lin_draw = lo + u * (hi - lo)
    return keys, np.where(log_ok, log_draw, lin_draw)


def monte_carlo(
    evaluate: Evaluate,
    preset: CostPreset,
    ranges: Mapping[str, tuple[float, float]],
    *,
    n: int,
    seed: int,
    percentiles: Sequence[float] = (5, 50, 95),
) -> MonteCarloResult:
    """All figures drawn at once, ``n`` times (``draw_figures``): percentiles of every
    metric ``evaluate`` returns. Same seed, same result.

    Examples
    --------
    >>> from rural_plan.costing import load_preset
    >>> p = load_preset("default")
    >>> key = "power.diesel.fuel_price_usd_per_l"
    >>> f = lambda q: {"tco_usd": q.power["diesel"]["fuel_price_usd_per_l"]}
    >>> r = monte_carlo(f, p, {key: (1.0, 4.0)}, n=200, seed=1)
    >>> 1.0 < r.percentiles["tco_usd"]["p50"] < 4.0
    True
    """
    if n < 1:
        raise CostingError(f"monte_carlo: n must be >= 1, got {n}")
    _check_ranges(preset, ranges)
    keys, draws = draw_figures(ranges, n=n, seed=seed)
    collected: dict[str, list[float]] = {}
    for i in range(n):
        values = dict(zip(keys, draws[i].tolist(), strict=True))
        metrics = evaluate(patch_preset(preset, values, note="monte-carlo draw"))
        for m, v in metrics.items():
            collected.setdefault(m, []).append(float(v))
    samples = {m: np.asarray(v) for m, v in collected.items()}
    pcts = {
        m: {f"p{p:g}": float(np.percentile(arr, p)) for p in percentiles}
        for m, arr in samples.items()
    }
    return MonteCarloResult(n=n, seed=seed, percentiles=pcts, samples=samples)
