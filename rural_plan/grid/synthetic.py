"""A seeded synthetic region for the demo and for tests.

Terrain: spectral (fractal) synthesis, power spectrum ∝ k^-β with β = 3.2 (close
to measured terrain spectra), folded into ridges; plus a main valley
running across the region. Population: villages whose centres are drawn with a
preference for low, gentle valley floors, each a Gaussian cluster of people,
plus a thin scatter of farmsteads. A fibre point of presence sits at the west
edge next to the lowest large village there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from affine import Affine

from rural_plan.errors import GridError
from rural_plan.grid.align import finish_grid
from rural_plan.grid.grid import Grid


@dataclass(frozen=True)
class SyntheticRegion:
    """The generated grid and where its fibre point of presence is (grid CRS, metres)."""

    grid: Grid
    fibre_xy_m: tuple[float, float]
    fingerprint: str
    """Hex SHA-256 of the generated terrain then population (little-endian float64),
    recorded as the region's input hash in the provenance."""


def _fractal_surface(rng: np.random.Generator, n: int, beta: float) -> np.ndarray:
    """Values in [0, 1]; spectrum filtered in place to keep few n x n arrays alive."""
    spectrum = np.fft.fft2(rng.standard_normal((n, n)))
    freq = np.fft.fftfreq(n)
    k = np.hypot(freq[:, None], freq[None, :])
    k[0, 0] = np.inf
    np.power(k, -beta / 2.0, out=k)
    spectrum *= k
    del k
    surface = np.fft.ifft2(spectrum).real.copy()
    del spectrum
    surface -= surface.min()
    surface /= max(surface.max(), 1e-12)
    return surface


def synthetic_region(
    *,
    size_m: float = 40_000.0,
    cell_size_m: float = 90.0,
    relief_m: float = 900.0,
    villages: int = 45,
    people: float = 80_000.0,
    epsg: int = 32737,
    origin_xy_m: tuple[float, float] = (500_000.0, 9_000_000.0),
    seed: int = 0,
) -> SyntheticRegion:
    """Generate terrain and population on a square grid of ``size_m`` [m]."""
    rng = np.random.default_rng(seed)
    n = max(16, round(size_m / cell_size_m))
    base = _fractal_surface(rng, n, beta=3.2)
    ridges = 1.0 - np.abs(2.0 * _fractal_surface(rng, n, beta=2.6) - 1.0)
    yy, xx = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n), indexing="ij")
    # A main valley meandering west to east: low along a sine path.
    valley_y = 0.5 + 0.18 * np.sin(2.0 * np.pi * (xx * 1.3 + rng.uniform()))
    valley = 1.0 - np.exp(-(((yy - valley_y) / 0.12) ** 2))
    del yy, xx, valley_y
    shape01 = 0.5 * base + 0.25 * ridges**2 + 0.25
    del base, ridges
    elevation = 120.0 + relief_m * shape01 * (0.35 + 0.65 * valley)
    del shape01, valley

    gy, gx = np.gradient(elevation, cell_size_m)
    slope = np.hypot(gx, gy)
    del gy, gx
    low = 1.0 - (elevation - elevation.min()) / max(np.ptp(elevation), 1e-9)
    suitability = low**3 * np.exp(-slope / 0.08)
    del low, slope
    suitability[:2, :] = suitability[-2:, :] = 0.0
    suitability[:, :2] = suitability[:, -2:] = 0.0
    room = int(np.count_nonzero(suitability))
    if villages > room:
        raise GridError(
            f"inputs.synthetic.villages={villages} is more than the {room} cells of a "
            f"{size_m:g} m region at grid.cell_size_m={cell_size_m:g} where a village can "
            "go (off the edge, not too steep); use fewer villages, a larger size_m or a "
            "smaller cell_size_m"
        )
    p = suitability.ravel() / suitability.sum()
    centres = rng.choice(n * n, size=villages, replace=False, p=p)
    del p
    sizes = rng.lognormal(mean=0.0, sigma=0.9, size=villages)
    village_people = 0.9 * people * sizes / sizes.sum()

    pop = np.zeros((n, n))
    rows_all, cols_all = np.divmod(centres, n)
    for r0, c0, count in zip(rows_all, cols_all, village_people, strict=True):
        sigma_cells = max(1.0, (150.0 + 12.0 * np.sqrt(count)) / cell_size_m)
        half = int(np.ceil(3 * sigma_cells))
        r_lo, r_hi = max(0, r0 - half), min(n, r0 + half + 1)
        c_lo, c_hi = max(0, c0 - half), min(n, c0 + half + 1)
        rr, cc = np.meshgrid(np.arange(r_lo, r_hi), np.arange(c_lo, c_hi), indexing="ij")
        w = np.exp(-((rr - r0) ** 2 + (cc - c0) ** 2) / (2 * sigma_cells**2))
        pop[r_lo:r_hi, c_lo:c_hi] += count * w / w.sum()
    scatter = suitability / suitability.sum() * (0.1 * people)
    pop += scatter

    transform = Affine(cell_size_m, 0.0, origin_xy_m[0], 0.0, -cell_size_m, origin_xy_m[1])
    west = cols_all < n // 4
    pick = np.argmax(np.where(west, village_people, -1.0)) if west.any() else np.argmin(cols_all)
    fibre_row = int(rows_all[pick])
    fibre_xy = (
        origin_xy_m[0] + 0.5 * cell_size_m,
        origin_xy_m[1] - (fibre_row + 0.5) * cell_size_m,
    )

    grid = finish_grid(
        elevation_m=elevation,
        population=pop,
        people_input_total=float(pop.sum()),
        in_area=np.ones((n, n), dtype=bool),
        transform=transform,
        crs=f"EPSG:{epsg}",
        cell_size_m=cell_size_m,
        dem_voids="fill",
        max_void_fill_m=0.0,
        sea_level_m=-1e9,
        population_max_move_m=0.0,
        reprojected_from="",
        dem_name="synthetic region",
    )
    digest = hashlib.sha256()  # streamed: no byte copy of the arrays (1.6 GB at 1e8 cells)
    for array in (elevation, pop):
        digest.update(memoryview(np.ascontiguousarray(array, dtype="<f8")).cast("B"))
    fingerprint = digest.hexdigest()
    return SyntheticRegion(grid=grid, fibre_xy_m=fibre_xy, fingerprint=fingerprint)
