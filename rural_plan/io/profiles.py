"""Terrain profile files for point-to-point predictions (``rural-plan path``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rural_plan.errors import InputFileError
from rural_plan.scenario.files import MB, UnusableFile, read_text
from rural_plan.units import TERRAIN_ELEVATION_RANGE_M


@dataclass(frozen=True)
class Profile:
    """Terrain heights [m] at distances [m] from the transmitter (first point)."""

    distances_m: np.ndarray
    elevations_m: np.ndarray

    @property
    def step_m(self) -> float | None:
        """The spacing when the points are equally spaced (within 1e-6), else None."""
        steps = np.diff(self.distances_m)
        if steps.size and np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
            return float(steps[0])
        return None

    def resampled_uniform(self) -> Profile:
        """Equally spaced profile with the same end points and number of points."""
        d = np.linspace(0.0, float(self.distances_m[-1]), self.distances_m.size)
        return Profile(d, np.interp(d, self.distances_m, self.elevations_m))


MAX_PROFILE_BYTES = 256 * MB
"""Largest profile file read (a million points is about 20 MB of JSON)."""
STEP_RANGE_M = (0.01, 100_000.0)
"""Spacing of a profile's points [m]: a centimetre (lidar and finer) to 100 km."""
MAX_LENGTH_M = 20_000_000.0
"""Longest path [m]: half the earth's circumference."""


def _numbers(path: Path, key: str, value: object) -> np.ndarray:
    """A JSON list of numbers (true / false are not numbers) as float64."""
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value
    ):
        raise InputFileError(f"{path}: {key} must be a list of numbers")
    try:
        return np.asarray(value, dtype=np.float64)
    except OverflowError:  # an integer beyond float64
        raise InputFileError(f"{path}: {key} holds a number too large to be a distance") from None


def read_profile(path: Path) -> Profile:
    """Read ``{"elevations_m": [...], "step_m": S}`` or ``{..., "distances_m": [...]}``.

    Heights must be terrain (``units.TERRAIN_ELEVATION_RANGE_M``), the spacing within
    ``STEP_RANGE_M`` and the path at most ``MAX_LENGTH_M``: anything else is refused, so
    no model is ever asked for a prediction it cannot make.
    """
    try:
        text = read_text(path, limit=MAX_PROFILE_BYTES)
        data = json.loads(text)
    except UnusableFile as err:
        raise InputFileError(f"{path}: {err.problem}") from None
    except json.JSONDecodeError as err:
        raise InputFileError(f"{path}: not a readable JSON profile ({err})") from err
    except RecursionError:
        raise InputFileError(
            f"{path}: not a readable JSON profile (lists or objects nested too deeply)"
        ) from None
    if not isinstance(data, dict) or "elevations_m" not in data:
        raise InputFileError(
            f'{path}: expected {{"elevations_m": [...], "step_m": S}} or '
            '{"elevations_m": [...], "distances_m": [...]}'
        )
    unknown = sorted(set(data) - {"elevations_m", "step_m", "distances_m"})
    if unknown:
        raise InputFileError(
            f"{path}: unknown key {unknown[0]!r}; valid: elevations_m, step_m, distances_m"
        )
    z = _numbers(path, "elevations_m", data["elevations_m"])
    if z.size < 3 or not np.isfinite(z).all():
        raise InputFileError(f"{path}: elevations_m needs at least 3 finite numbers")
    lo, hi = TERRAIN_ELEVATION_RANGE_M
    bad = (z < lo) | (z > hi)
    if bad.any():
        raise InputFileError(
            f"{path}: elevations_m: {int(bad.sum())} height(s) outside {lo:,.0f}..{hi:,.0f} m "
            f"(the lowest and highest terrain on earth), e.g. {z[bad][0]:g} at index "
            f"{int(np.flatnonzero(bad)[0])}; heights are metres above sea level"
        )
    if ("step_m" in data) == ("distances_m" in data):
        raise InputFileError(f"{path}: give exactly one of step_m or distances_m")
    s_lo, s_hi = STEP_RANGE_M
    if "step_m" in data:
        step = data["step_m"]
        if (
            not isinstance(step, int | float)
            or isinstance(step, bool)
            or not math.isfinite(step)
            or not s_lo <= step <= s_hi
        ):
            raise InputFileError(
                f"{path}: step_m must be a number of metres {s_lo:g}..{s_hi:g}, got {step!r}"
            )
        d = np.arange(z.size, dtype=np.float64) * float(step)
    else:
        d = _numbers(path, "distances_m", data["distances_m"])
        if d.shape != z.shape:
            raise InputFileError(
                f"{path}: distances_m has {d.size} values but elevations_m has {z.size}"
            )
        if not (np.isfinite(d).all() and d[0] == 0 and (np.diff(d) > 0).all()):
            raise InputFileError(f"{path}: distances_m must start at 0 and increase strictly")
        if np.diff(d).min() < s_lo:
            raise InputFileError(
                f"{path}: distances_m: points closer than {s_lo:g} m apart "
                f"({np.diff(d).min():g} m); give distances in metres"
            )
    if d[-1] > MAX_LENGTH_M:
        raise InputFileError(
            f"{path}: the path is {d[-1] / 1000:,.0f} km long, more than "
            f"{MAX_LENGTH_M / 1000:,.0f} km (half the earth's circumference)"
        )
    return Profile(d, z)
