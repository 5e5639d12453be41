"""Point-to-area path loss from candidate sites over the grid's terrain."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np

from rural_plan.grid.grid import Grid
from rural_plan.propagation._kernels import covered_entries, path_loss_window, path_loss_windows
from rural_plan.propagation.models import get_model

log = logging.getLogger(__name__)

_WINDOW_BYTES_PER_CHUNK = 256 * 1024 * 1024


@dataclass(frozen=True)
class RadioSettings:
    """What the propagation kernels need beyond the sites themselves."""

    model: str
    f_mhz: float
    h_rx_m: float
    k_factor: float
    radius_m: float


def _radius_cells(grid: Grid, radius_m: float) -> int:
    return max(1, math.ceil(radius_m / grid.cell_size_m))


def site_loss_window(
    grid: Grid, row: int, col: int, h_tx_m: float, radio: RadioSettings
) -> np.ndarray:
    """Path loss [dB] from one site to the (2R+1)² window centred on it (+inf: not reached)."""
    radius = _radius_cells(grid, radio.radius_m)
    out = np.empty((2 * radius + 1, 2 * radius + 1), dtype=np.float32)
    path_loss_window(
        np.ascontiguousarray(grid.elevation_m, dtype=np.float64),
        int(row),
        int(col),
        float(h_tx_m),
        radius,
        grid.cell_size_m,
        radio.f_mhz,
        radio.h_rx_m,
        radio.k_factor,
        get_model(radio.model).code,
        out,
    )
    return out


@dataclass(frozen=True)
class SparseCoverage:
    """CSR rows: for each site, the demand cells within its loss budget."""

    indptr: np.ndarray
    indices: np.ndarray
    seconds: float


def covered_demand(
    grid: Grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    max_loss_db: np.ndarray,
    demand_id: np.ndarray,
    radio: RadioSettings,
) -> SparseCoverage:
    """For each site (row, col, antenna height, loss budget), the covered demand cells.

    Sites run in parallel (numba threads) in chunks whose loss windows fit in
    256 MiB, so memory stays bounded whatever the number of sites.
    """
    model = get_model(radio.model)
    n = len(rows)
    radius = _radius_cells(grid, radio.radius_m)
    w = 2 * radius + 1
    chunk = max(1, min(n, _WINDOW_BYTES_PER_CHUNK // (w * w * 4)))
    elev = np.ascontiguousarray(grid.elevation_m, dtype=np.float64)
    demand_id = np.ascontiguousarray(demand_id, dtype=np.int64)
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    h_tx_m = np.ascontiguousarray(h_tx_m, dtype=np.float64)
    max_loss_db = np.ascontiguousarray(max_loss_db, dtype=np.float64)
    counts = np.zeros(n, dtype=np.int64)
    parts: list[np.ndarray] = []
    windows = np.empty((chunk, w, w), dtype=np.float32)
    t0 = time.perf_counter()
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        win = windows[: hi - lo]
        path_loss_windows(
            elev,
            rows[lo:hi],
            cols[lo:hi],
            h_tx_m[lo:hi],
            radius,
            grid.cell_size_m,
            radio.f_mhz,
            radio.h_rx_m,
            radio.k_factor,
            model.code,
            win,
        )
        c = counts[lo:hi]
        covered_entries(
            win,
            rows[lo:hi],
            cols[lo:hi],
            max_loss_db[lo:hi],
            demand_id,
            True,
            c,
            np.empty(0, dtype=np.int64),
        )
        idx = np.empty(int(c.sum()), dtype=np.int64)
        covered_entries(win, rows[lo:hi], cols[lo:hi], max_loss_db[lo:hi], demand_id, False, c, idx)
        parts.append(idx)
    seconds = time.perf_counter() - t0
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    indices = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    log.info("propagation: %d sites x %d cells each (%s) in %.2f s", n, w * w, model.name, seconds)
    return SparseCoverage(indptr=indptr, indices=indices, seconds=seconds)


def best_server(
    grid: Grid,
    rows: np.ndarray,
    cols: np.ndarray,
    h_tx_m: np.ndarray,
    eirp_dbm: np.ndarray,
    radio: RadioSettings,
) -> tuple[np.ndarray, np.ndarray]:
    """Best-server received power [dBm] (NaN: no site in range) and its site index (-1)."""
    rx = np.full(grid.shape, -np.inf)
    server = np.full(grid.shape, -1, dtype=np.int64)
    radius = _radius_cells(grid, radio.radius_m)
    for i in range(len(rows)):
        loss = site_loss_window(grid, rows[i], cols[i], h_tx_m[i], radio).astype(np.float64)
        r_lo, c_lo = rows[i] - radius, cols[i] - radius
        a0, b0 = max(0, -r_lo), max(0, -c_lo)
        a1 = min(loss.shape[0], grid.shape[0] - r_lo)
        b1 = min(loss.shape[1], grid.shape[1] - c_lo)
        sub_loss = loss[a0:a1, b0:b1]
        view = (slice(r_lo + a0, r_lo + a1), slice(c_lo + b0, c_lo + b1))
        power = eirp_dbm[i] - sub_loss
        better = power > rx[view]
        rx[view] = np.where(better, power, rx[view])
        server[view] = np.where(better, i, server[view])
    rx[~np.isfinite(rx)] = np.nan
    return rx, server
