"""GDAL's viewshed (``GDALViewshedGenerate``, Wang et al. 2000) called in-process via ctypes.

Uses Debian's libgdal (package ``libgdal32``, GDAL 3.6), not the GDAL bundled in
the rasterio wheel (about 2x slower). The DEM is handed over in a MEM dataset
and the output read back, so only the algorithm is timed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from dataclasses import dataclass

import numpy as np

_LIB_NAMES = (
    "/usr/lib/x86_64-linux-gnu/libgdal.so.32",
    "/usr/lib/aarch64-linux-gnu/libgdal.so.32",
    "libgdal.so.32",
)
GDT_BYTE, GDT_FLOAT64 = 1, 7
GF_READ, GF_WRITE = 0, 1
GVM_EDGE = 2
GVOT_NORMAL = 1
WGS84_SEMI_MAJOR_M = 6_378_137.0


def load() -> ctypes.CDLL | None:
    """Debian's libgdal, or None when it is not installed."""
    for name in _LIB_NAMES:
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        _declare(lib)
        lib.GDALAllRegister()
        return lib
    return None


def _declare(lib: ctypes.CDLL) -> None:
    p, i, d = ctypes.c_void_p, ctypes.c_int, ctypes.c_double
    lib.GDALGetDriverByName.restype = p
    lib.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
    lib.GDALCreate.restype = p
    lib.GDALCreate.argtypes = [p, ctypes.c_char_p, i, i, i, i, p]
    lib.GDALSetGeoTransform.argtypes = [p, ctypes.POINTER(d)]
    lib.GDALGetGeoTransform.argtypes = [p, ctypes.POINTER(d)]
    lib.GDALSetProjection.argtypes = [p, ctypes.c_char_p]
    lib.GDALGetRasterBand.restype = p
    lib.GDALGetRasterBand.argtypes = [p, i]
    lib.GDALRasterIO.argtypes = [p, i, i, i, i, i, p, i, i, i, i, i]
    lib.GDALGetRasterXSize.argtypes = [p]
    lib.GDALGetRasterYSize.argtypes = [p]
    lib.GDALClose.argtypes = [p]
    lib.GDALVersionInfo.restype = ctypes.c_char_p
    lib.GDALVersionInfo.argtypes = [ctypes.c_char_p]
    lib.GDALViewshedGenerate.restype = p
    lib.GDALViewshedGenerate.argtypes = [
        p,
        ctypes.c_char_p,
        ctypes.c_char_p,
        p,
        d,
        d,
        d,
        d,
        d,
        d,
        d,
        d,
        d,
        i,
        d,
        p,
        p,
        i,
        p,
    ]


@dataclass(frozen=True)
class GdalViewshed:
    visible: np.ndarray
    """uint8 window: 1 visible, 0 hidden, 2 out of range (rural_plan's codes)."""
    row_offset: int
    col_offset: int
    seconds: float
    version: str


def viewshed(
    lib: ctypes.CDLL,
    elev: np.ndarray,
    r0: int,
    c0: int,
    *,
    h_obs_m: float,
    h_tgt_m: float,
    radius_m: float,
    cell_m: float,
    k_factor: float,
    wkt: str,
) -> GdalViewshed:
    """Run GDALViewshedGenerate for observer cell (r0, c0) of ``elev`` (north-up, square cells)."""
    rows, cols = elev.shape
    data = np.ascontiguousarray(elev, dtype=np.float64)
    drv = lib.GDALGetDriverByName(b"MEM")
    ds = lib.GDALCreate(drv, b"dem", cols, rows, 1, GDT_FLOAT64, None)
    gt = (ctypes.c_double * 6)(0.0, cell_m, 0.0, rows * cell_m, 0.0, -cell_m)
    lib.GDALSetGeoTransform(ds, gt)
    lib.GDALSetProjection(ds, wkt.encode())
    band = lib.GDALGetRasterBand(ds, 1)
    lib.GDALRasterIO(
        band, GF_WRITE, 0, 0, cols, rows, data.ctypes.data, cols, rows, GDT_FLOAT64, 0, 0
    )
    # GDAL rounds the observer's pixel coordinate: a quarter cell inside (r0, c0) lands on it.
    ox = (c0 + 0.25) * cell_m
    oy = rows * cell_m - (r0 + 0.25) * cell_m
    # GDAL lowers terrain by c·d²/(2·a_wgs84); rural_plan by d²/(2·k·6371 km).
    curv = WGS84_SEMI_MAJOR_M / (k_factor * 6_371_000.0)
    t0 = time.perf_counter()
    out = lib.GDALViewshedGenerate(
        band,
        b"MEM",
        b"vs",
        None,
        ox,
        oy,
        h_obs_m,
        h_tgt_m,
        1.0,
        0.0,
        2.0,
        -1.0,
        curv,
        GVM_EDGE,
        radius_m,
        None,
        None,
        GVOT_NORMAL,
        None,
    )
    seconds = time.perf_counter() - t0
    if not out:
        lib.GDALClose(ds)
        raise RuntimeError("GDALViewshedGenerate failed")
    ogt = (ctypes.c_double * 6)()
    lib.GDALGetGeoTransform(out, ogt)
    w, h = lib.GDALGetRasterXSize(out), lib.GDALGetRasterYSize(out)
    vis = np.empty((h, w), dtype=np.uint8)
    lib.GDALRasterIO(
        lib.GDALGetRasterBand(out, 1), GF_READ, 0, 0, w, h, vis.ctypes.data, w, h, GDT_BYTE, 0, 0
    )
    col_off = round(ogt[0] / cell_m)
    row_off = round((rows * cell_m - ogt[3]) / cell_m)
    lib.GDALClose(out)
    lib.GDALClose(ds)
    version = lib.GDALVersionInfo(b"RELEASE_NAME").decode()
    return GdalViewshed(vis, row_off, col_off, seconds, version)
