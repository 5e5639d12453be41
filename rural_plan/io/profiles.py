"""Terrain profile files for point-to-point predictions (``rural-plan path``)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rural_plan.errors import InputFileError


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


def read_profile(path: Path) -> Profile:
    """Read ``{"elevations_m": [...], "step_m": S}`` or ``{..., "distances_m": [...]}``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise InputFileError(f"{path}: file not found") from err
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputFileError(f"{path}: not a readable JSON profile ({err})") from err
    if not isinstance(data, dict) or "elevations_m" not in data:
        raise InputFileError(
            f'{path}: expected {{"elevations_m": [...], "step_m": S}} or '
            '{"elevations_m": [...], "distances_m": [...]}'
        )
    try:
        z = np.asarray(data["elevations_m"], dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputFileError(f"{path}: elevations_m must be a list of numbers") from err
    if z.ndim != 1 or z.size < 3 or not np.isfinite(z).all():
        raise InputFileError(f"{path}: elevations_m needs at least 3 finite numbers")
    if ("step_m" in data) == ("distances_m" in data):
        raise InputFileError(f"{path}: give exactly one of step_m or distances_m")
    if "step_m" in data:
        step = data["step_m"]
        if not isinstance(step, int | float) or not math.isfinite(step) or step <= 0:
            raise InputFileError(f"{path}: step_m must be a number > 0, got {step!r}")
        d = np.arange(z.size, dtype=np.float64) * float(step)
    else:
        try:
            d = np.asarray(data["distances_m"], dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise InputFileError(f"{path}: distances_m must be a list of numbers") from err
        if d.shape != z.shape:
            raise InputFileError(
                f"{path}: distances_m has {d.size} values but elevations_m has {z.size}"
            )
        if not (np.isfinite(d).all() and d[0] == 0 and (np.diff(d) > 0).all()):
            raise InputFileError(f"{path}: distances_m must start at 0 and increase strictly")
    return Profile(d, z)
