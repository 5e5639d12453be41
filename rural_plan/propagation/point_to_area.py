"""Point-to-area path loss from candidate sites over the grid's terrain.

Terrain profiles along radials are extracted once per location and every option
there (site types: antenna heights, patterns) is evaluated from them. Locations
run in parallel (numba threads) in chunks whose loss windows fit in a fixed
memory budget, so memory stays bounded whatever the number of sites.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numba
import numpy as np

from rural_plan._sparse import sort_row_segments
from rural_plan.errors import PropagationError
from rural_plan.grid.grid import Grid
from rural_plan.progress import progress
from rural_plan.propagation._radial import (
    covered_cells,
    model_site_sweep,
    model_sweep,
)
from rural_plan.propagation.models import get_model
from rural_plan.propagation.settings import RadioSettings

log = logging.getLogger(__name__)

_WINDOW_BYTES_PER_CHUNK = 256 * 1024 * 1024


def omni_patterns(radius_cells: int) -> np.ndarray:
    """A single all-zero attenuation window (omni antennas)."""
    w = 2 * radius_cells + 1
    return np.zeros((1, w, w), dtype=np.float32)


def _location_runs(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Start indices of runs of equal (row, col), with the end appended."""
    if rows.size == 0:
        return np.zeros(1, dtype=np.int64)
    change = np.flatnonzero((np.diff(rows) != 0) | (np.diff(cols) != 0)) + 1
    return np.concatenate([[0], change, [rows.size]]).astype(np.int64)


def _checked_model(radio: RadioSettings):
    model = get_model(radio.model)
    if len(radio.params) != model.n_params:
        raise PropagationError(
            f"model {model.name!r} reads {model.n_params} parameters, got {len(radio.params)}"
        )
    return model


def _windows(
    terrain: Grid | Terrain, rows, cols, h_tx_m, radio: RadioSettings, starts, out, cap_db=None
):
    """Loss windows of options at locations ``starts`` (see :func:`_location_runs`); a
    cell whose loss is above its option's ``cap_db`` [dB] may hold a lower bound above
    it instead (None: every loss exact)."""
    model = _checked_model(radio)
    if cap_db is None:
        cap_db = np.full(len(h_tx_m), np.inf)
    model_sweep(model.code)(
        np.ascontiguousarray(terrain.elevation_m, dtype=np.float64),
        np.ascontiguousarray(rows[starts[:-1]], dtype=np.int64),
        np.ascontiguousarray(cols[starts[:-1]], dtype=np.int64),
        starts - starts[0],
        radio.radius_cells(terrain),
        radio.radius_m,
        terrain.cell_size_m,
        np.ascontiguousarray(h_tx_m, dtype=np.float64),
        radio.h_rx_m,
        radio.f_mhz,
        radio.k_factor,
        np.asarray(radio.params, dtype=np.float64),
        np.ascontiguousarray(cap_db, dtype=np.float64),
        out,
    )


_CAP_SLACK_DB = 1e-3
"""Added to the loss caps of :func:`loss_caps` [dB], plus 1e-6 of the budget's size: far
above the float32 rounding of the windows and of the sums the coverage test adds up
(~1e-5 dB at 150 dB), so a cell left at a bound above its cap fails that test as its
exact loss would."""


def loss_caps(terrain: Terrain, options: Options) -> np.ndarray:
    """Each option's loss cap [dB] for the sweep: a cell whose path loss is above it cannot
    be covered by the option, whatever pattern attenuation and clutter it has.

    A cell is covered when loss + pattern attenuation + the demand cell's extra loss
    ≤ the option's budget (:func:`._radial.covered_cells`); the smallest attenuation of
    the option's pattern and the smallest extra loss of any demand cell give the cap
    budget − min pattern − min extra (+ :data:`_CAP_SLACK_DB`). Not finite (a NaN or
    infinite pattern or budget): +inf, no cap.
    """
    n_pat = terrain.patterns.shape[0]
    pattern_min = terrain.patterns.reshape(n_pat, -1).min(axis=1).astype(np.float64)
    extra_min = float(terrain.extra_db.min()) if terrain.extra_db.size else 0.0
    net = options.max_loss_db - pattern_min[options.pattern_index] - extra_min
    slack = _CAP_SLACK_DB + 1e-6 * (
        np.abs(options.max_loss_db) + np.abs(pattern_min[options.pattern_index]) + abs(extra_min)
    )
    with np.errstate(invalid="ignore"):
        cap = net + slack
    cap[~np.isfinite(cap)] = np.inf
    return cap


def site_loss_window(
    grid: Grid | Terrain, row: int, col: int, h_tx_m: float, radio: RadioSettings
) -> np.ndarray:
    """Path loss [dB] from one site to the (2R+1)² window centred on it (+inf: not reached).

    The planner's sweep for one location, its rays shared among the numba threads (the
    same values as :func:`covered_demand`'s windows: each ray is the same code)."""
    model = _checked_model(radio)
    radius = radio.radius_cells(grid)
    w = 2 * radius + 1
    out = np.empty((1, w, w), dtype=np.float32)
    with numba.parallel_chunksize(1):  # blocks of rays to whichever thread is free
        model_site_sweep(model.code)(
            np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
            int(row),
            int(col),
            radius,
            radio.radius_m,
            grid.cell_size_m,
            np.array([h_tx_m], dtype=np.float64),
            radio.h_rx_m,
            radio.f_mhz,
            radio.k_factor,
            np.asarray(radio.params, dtype=np.float64),
            out,
        )
    return out[0]


@dataclass(frozen=True)
class SparseCoverage:
    """CSR rows: for each option, the demand cells within its loss budget."""

    indptr: np.ndarray
    indices: np.ndarray
    seconds: float


def _chunks(starts: np.ndarray, options_per_chunk: int):
    """Split location runs into chunks of at most ``options_per_chunk`` options (≥ 1 run)."""
    lo = 0
    n_runs = starts.size - 1
    while lo < n_runs:
        hi = lo + 1
        while hi < n_runs and starts[hi + 1] - starts[lo] <= options_per_chunk:
            hi += 1
        yield lo, hi
        lo = hi


@dataclass(frozen=True)
class Terrain:
    """What every chunk of point-to-area propagation reads besides its own options: the
    terrain, the demand cell of each grid cell and the antenna patterns. An executor sends
    it once to each worker (see :mod:`rural_plan.executors`)."""

    elevation_m: np.ndarray
    """Terrain heights [m], float64, C order."""
    cell_size_m: float
    demand_id: np.ndarray
    """Demand cell of each grid cell (-1: none), int64, C order."""
    patterns: np.ndarray
    """Pattern attenuation windows [dB], (n_patterns, 2R+1, 2R+1)."""
    extra_db: np.ndarray
    """Each demand cell's own extra loss [dB] (clutter around the handset), float64."""

    @classmethod
    def of(
        cls,
        grid: Grid,
        demand_id: np.ndarray,
        patterns: np.ndarray,
        extra_db: np.ndarray | None = None,
    ) -> Terrain:
        n_demand = int(demand_id.max()) + 1 if demand_id.size else 0
        if extra_db is None:
            extra_db = np.zeros(n_demand)
        extra_db = np.ascontiguousarray(extra_db, dtype=np.float64)
        if extra_db.size < n_demand or not np.isfinite(extra_db).all():
            raise PropagationError(
                f"extra_db needs a finite loss for each of the {n_demand} demand cells"
            )
        return cls(
            np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
            float(grid.cell_size_m),
            np.ascontiguousarray(demand_id, dtype=np.int64),
            patterns,
            extra_db,
        )


@dataclass(frozen=True)
class Options:
    """The options of a point-to-area run as the kernels read them (options at one
    location adjacent, so they share terrain profiles)."""

    rows: np.ndarray
    cols: np.ndarray
    h_tx_m: np.ndarray
    max_loss_db: np.ndarray
    pattern_index: np.ndarray

    @classmethod
    def of(cls, rows, cols, h_tx_m, max_loss_db, pattern_index) -> Options:
        return cls(
            np.ascontiguousarray(rows, dtype=np.int64),
            np.ascontiguousarray(cols, dtype=np.int64),
            np.ascontiguousarray(h_tx_m, dtype=np.float64),
            np.ascontiguousarray(max_loss_db, dtype=np.float64),
            np.ascontiguousarray(pattern_index, dtype=np.int64),
        )

    def __len__(self) -> int:
        return self.rows.size

    def slice(self, lo: int, hi: int) -> Options:
        return Options(
            self.rows[lo:hi],
            self.cols[lo:hi],
            self.h_tx_m[lo:hi],
            self.max_loss_db[lo:hi],
            self.pattern_index[lo:hi],
        )


def point_to_area_inputs(
    grid: Grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    max_loss_db: np.ndarray,
    demand_id: np.ndarray,
    radio: RadioSettings,
    pattern_index: np.ndarray | None = None,
    patterns: np.ndarray | None = None,
    extra_db: np.ndarray | None = None,
) -> tuple[Terrain, Options]:
    """The arguments of :func:`covered_demand` in the kernels' dtypes (omni patterns and
    no extra loss when none are given), after checking the model's parameters."""
    _checked_model(radio)
    if patterns is None:
        patterns = omni_patterns(radio.radius_cells(grid))
        pattern_index = np.zeros(len(rows), dtype=np.int64)
    options = Options.of(rows, cols, h_tx_m, max_loss_db, pattern_index)
    return Terrain.of(grid, demand_id, patterns, extra_db), options


def max_chunk_options(radio: RadioSettings, terrain: Terrain) -> int:
    """Most options whose loss windows fit the per-chunk memory budget."""
    w = 2 * radio.radius_cells(terrain) + 1
    return max(1, _WINDOW_BYTES_PER_CHUNK // (w * w * 4))


def option_chunks(options: Options, options_per_chunk: int) -> list[tuple[int, int]]:
    """(first, end) option ranges of whole locations, each of at most ``options_per_chunk``
    options (or one location, if it alone has more)."""
    starts = _location_runs(options.rows, options.cols)
    return [(int(starts[lo]), int(starts[hi])) for lo, hi in _chunks(starts, options_per_chunk)]


def chunk_rows(
    terrain: Terrain, options: Options, radio: RadioSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Covered demand cells of a chunk of options: (count per option, the cells of every
    option one after another, each option's in ascending order).

    Pure: the result depends on the arguments only, and nothing else is changed, so an
    executor may run a chunk anywhere and again (a lost worker's chunks are rerun).
    """
    w = 2 * radio.radius_cells(terrain) + 1
    n = len(options)
    starts = _location_runs(options.rows, options.cols)
    win = np.empty((n, w, w), dtype=np.float32)
    # Only the covered cells leave this function: past its cap a cell's loss need not be
    # exact (the early exit of ray_losses_capped).
    caps = loss_caps(terrain, options)
    _windows(terrain, options.rows, options.cols, options.h_tx_m, radio, starts, win, caps)
    counts = np.zeros(n, dtype=np.int64)
    args = (
        win,
        options.rows,
        options.cols,
        options.max_loss_db,
        options.pattern_index,
        terrain.patterns,
        terrain.demand_id,
        terrain.extra_db,
    )
    covered_cells(*args, True, counts, np.empty(0, dtype=np.int64))
    idx = np.empty(int(counts.sum()), dtype=np.int64)
    covered_cells(*args, False, counts, idx)
    # rows in cell order: the canonical form the placement stage expects
    sort_row_segments(np.concatenate(([0], np.cumsum(counts))), idx)
    return counts, idx


def join_rows(counts: np.ndarray, parts: list[np.ndarray | None]) -> tuple[np.ndarray, np.ndarray]:
    """(indptr, indices) from the count per option and the chunks' cells in option order.

    Copies the chunks into one array, releasing each as it goes: the peak is the result
    plus one chunk, not twice the result (national runs hold ~10^8 indices).
    """
    indptr = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.empty(sum(p.size for p in parts), dtype=np.int64)
    pos = 0
    for k in range(len(parts)):
        indices[pos : pos + parts[k].size] = parts[k]
        pos += parts[k].size
        parts[k] = None
    return indptr, indices


def covered_demand(
    grid: Grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    max_loss_db: np.ndarray,
    demand_id: np.ndarray,
    radio: RadioSettings,
    *,
    pattern_index: np.ndarray | None = None,
    patterns: np.ndarray | None = None,
    extra_db: np.ndarray | None = None,
) -> SparseCoverage:
    """For each option (cell, antenna height, loss budget, pattern), the covered demand cells.

    Options at the same location should be adjacent: their terrain profiles are shared.
    ``patterns`` (n_patterns, 2R+1, 2R+1) holds pattern attenuation [dB]; option i uses
    ``patterns[pattern_index[i]]`` (default: omni). ``extra_db`` [dB], per demand cell,
    adds to the path loss of every option there (the clutter around the handset). Runs in
    this process, locations in parallel over numba threads;
    :mod:`rural_plan.pipeline.executors` runs the same chunks on a Dask cluster.
    """
    terrain, options = point_to_area_inputs(
        grid, rows, cols, h_tx_m, max_loss_db, demand_id, radio, pattern_index, patterns, extra_db
    )
    n = len(options)
    w = 2 * radio.radius_cells(grid) + 1
    # Memory caps a chunk; about 40 chunks per run keep progress visible (and a chunk of
    # 64 options or more keeps every thread busy).
    per_chunk = min(max_chunk_options(radio, terrain), max(64, n // 40))
    spans = option_chunks(options, per_chunk)
    n_locations = _location_runs(options.rows, options.cols).size - 1
    counts = np.zeros(n, dtype=np.int64)
    parts: list[np.ndarray | None] = []
    t0 = time.perf_counter()
    with progress(n, f"propagation ({radio.model})", unit="option") as bar:
        for lo, hi in spans:
            counts[lo:hi], idx = chunk_rows(terrain, options.slice(lo, hi), radio)
            parts.append(idx)
            bar.update(hi - lo)
    seconds = time.perf_counter() - t0
    indptr, indices = join_rows(counts, parts)
    log.info(
        "propagation: %d options at %d locations, %d x %d cells each (%s) in %.2f s",
        n,
        n_locations,
        w,
        w,
        radio.model,
        seconds,
    )
    return SparseCoverage(indptr=indptr, indices=indices, seconds=seconds)


def best_server(
    grid: Grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    eirp_dbm: np.ndarray,
    radio: RadioSettings,
    *,
    pattern_index: np.ndarray | None = None,
    patterns: np.ndarray | None = None,
    extra_db: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best-server received power [dBm] (NaN: no site in range) and its site index (-1);
    ``extra_db`` [dB], per grid cell, is taken off every site's power there (clutter)."""
    rx = np.full(grid.shape, -np.inf)
    server = np.full(grid.shape, -1, dtype=np.int64)
    radius = radio.radius_cells(grid)
    if patterns is None:
        patterns = omni_patterns(radius)
        pattern_index = np.zeros(len(rows), dtype=np.int64)
    for i in range(len(rows)):
        loss = site_loss_window(grid, rows[i], cols[i], h_tx_m[i], radio).astype(np.float64)
        loss += patterns[pattern_index[i]]
        r_lo, c_lo = rows[i] - radius, cols[i] - radius
        a0, b0 = max(0, -r_lo), max(0, -c_lo)
        a1 = min(loss.shape[0], grid.shape[0] - r_lo)
        b1 = min(loss.shape[1], grid.shape[1] - c_lo)
        view = (slice(r_lo + a0, r_lo + a1), slice(c_lo + b0, c_lo + b1))
        power = eirp_dbm[i] - loss[a0:a1, b0:b1]
        better = power > rx[view]
        rx[view] = np.where(better, power, rx[view])
        server[view] = np.where(better, i, server[view])
    if extra_db is not None:
        rx -= extra_db
    rx[~np.isfinite(rx)] = np.nan
    return rx, server
