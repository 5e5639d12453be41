"""Raster input and output through rasterio. The only module that opens rasters.

Accepts GeoTIFF, SRTM ``.hgt`` and either inside a ``.zip`` (read through
GDAL's ``/vsizip/`` virtual file system). Foreign errors are translated into
:class:`~rural_plan.errors.RasterError` naming the file.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import tempfile
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
import rasterio.errors
import rasterio.warp
import rasterio.windows
from affine import Affine
from rasterio._err import CPLE_BaseError
from rasterio.crs import CRS
from rasterio.enums import Resampling

from rural_plan.errors import OutputError, RasterError
from rural_plan.scenario.files import path_problem

log = logging.getLogger(__name__)

_RASTER_SUFFIXES = (".tif", ".tiff", ".hgt", ".img", ".vrt", ".asc", ".nc")


def gdal_path(path: Path) -> str:
    """The path GDAL opens: ``/vsizip/…/inner`` for a zip holding one raster."""
    path = Path(path)
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.lower().endswith(_RASTER_SUFFIXES)]
    except (zipfile.BadZipFile, OSError) as err:
        raise RasterError(f"{path}: not a readable zip file ({err})") from err
    if len(names) != 1:
        raise RasterError(
            f"{path}: a zipped raster must hold exactly one raster file "
            f"({', '.join(_RASTER_SUFFIXES)}), found {len(names)}"
        )
    return f"/vsizip/{path}/{names[0]}"


@dataclass(frozen=True)
class RasterInfo:
    """What a raster is, without its pixels."""

    path: Path
    crs: CRS
    transform: Affine
    shape: tuple[int, int]
    nodata: float | None
    dtype: str

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the raster's CRS."""
        return rasterio.transform.array_bounds(self.shape[0], self.shape[1], self.transform)


def _open(path: Path):
    problem = path_problem(path)
    if problem is not None:  # a named pipe would block GDAL, /dev/zero never end
        raise RasterError(f"{path}: {problem}")
    try:
        with _no_georef_warning():
            return rasterio.open(gdal_path(path))
    except (rasterio.errors.RasterioError, CPLE_BaseError) as err:
        raise RasterError(f"{path}: not a raster GDAL can read ({_first_line(err)})") from err


def _first_line(err: BaseException) -> str:
    """GDAL's own words: the first line of the innermost error ("Read failed. See previous
    exception" wraps the one that says what is wrong)."""
    seen = []
    while err is not None and len(seen) < 10:
        seen.append(err)
        err = err.__cause__ or err.__context__
    for e in reversed(seen):
        text = str(e).strip().splitlines()
        if text:
            return text[0]
    return type(seen[0]).__name__


_DAMAGED = "the file may be truncated or damaged"


@contextlib.contextmanager
def _no_georef_warning():
    """Silence rasterio's warning about a missing geotransform: :func:`raster_info`
    refuses such a raster with its own one-line message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        yield


def raster_info(path: Path) -> RasterInfo:
    """Open ``path`` and check it is a single-band, georeferenced raster whose CRS is tied
    to the earth (it can be placed in longitude / latitude)."""
    with _no_georef_warning(), _open(path) as ds:
        if ds.crs is None:
            raise RasterError(
                f"{path}: raster has no CRS; assign one (for example "
                f"'gdal_edit.py -a_srs EPSG:4326 {Path(path).name}')"
            )
        if ds.transform == Affine.identity():
            raise RasterError(f"{path}: raster has no geotransform (pixel size and origin)")
        if ds.transform.b != 0 or ds.transform.d != 0:
            raise RasterError(f"{path}: rotated rasters are not supported; warp it north-up")
        t = ds.transform
        if not (all(math.isfinite(v) for v in t[:6]) and t.a != 0 and t.e != 0):
            raise RasterError(f"{path}: raster has an unusable geotransform ({tuple(t[:6])})")
        info = RasterInfo(
            path=Path(path),
            crs=ds.crs,
            transform=ds.transform,
            shape=(ds.height, ds.width),
            nodata=ds.nodata,
            dtype=ds.dtypes[0],
        )
    _check_earth_crs(info)
    return info


def _check_earth_crs(info: RasterInfo) -> None:
    """Refuse a CRS that cannot be placed on the earth (a LOCAL_CS / engineering CRS,
    one PROJ cannot transform), and extents that are not on the earth."""
    crs = info.crs
    try:
        with rasterio.Env():
            tied = crs.is_geographic or crs.is_projected
            name = crs.to_string() or "unnamed"
    except (rasterio.errors.CRSError, CPLE_BaseError):
        tied, name = False, "unreadable"
    short = name if len(name) <= 80 else name[:77] + "..."
    fix = f"assign the real CRS (for example 'gdal_edit.py -a_srs EPSG:32738 {info.path.name}')"
    if not tied:
        raise RasterError(
            f"{info.path}: its CRS ({short}) is a local or engineering CRS, not tied to the "
            f"earth, so it cannot be placed in longitude / latitude; {fix}"
        )
    try:
        w, s, e, n = rasterio.warp.transform_bounds(crs, "EPSG:4326", *info.bounds)
    except (rasterio.errors.RasterioError, CPLE_BaseError) as err:
        raise RasterError(
            f"{info.path}: its CRS ({short}) cannot be placed in longitude / latitude "
            f"({_first_line(err)}); {fix}"
        ) from None
    if not all(math.isfinite(v) for v in (w, s, e, n)) or not (
        -180.5 <= w <= e <= 180.5 and -90.5 <= s <= n <= 90.5
    ):
        raise RasterError(
            f"{info.path}: its extent {tuple(round(v, 3) for v in info.bounds)} in {short} "
            "is not on the earth; check the CRS and the geotransform"
        )


def warp_to_grid(
    paths: tuple[Path, ...],
    *,
    dst_crs: CRS,
    dst_transform: Affine,
    shape: tuple[int, int],
    resampling: Resampling,
    valid_range: tuple[float, float] | None = None,
    what: str = "values",
) -> np.ndarray:
    """Warp one or more raster tiles onto a destination grid.

    Returns float64 values with NaN where no tile has data. Tiles are mosaicked in
    order: a later tile only fills cells the earlier ones left empty. With
    ``valid_range``, a tile with values outside it (``what`` names them) is refused,
    counted, before anything is computed from them.
    """
    out = np.full(shape, np.nan, dtype=np.float64)
    for path in paths:
        tile = np.full(shape, np.nan, dtype=np.float64)
        with _open(path) as ds:
            try:
                rasterio.warp.reproject(
                    source=rasterio.band(ds, 1),
                    destination=tile,
                    src_nodata=ds.nodata,
                    dst_transform=dst_transform,
                    dst_crs=dst_crs,
                    dst_nodata=np.nan,
                    resampling=resampling,
                )
            except (rasterio.errors.RasterioError, CPLE_BaseError, RuntimeError) as err:
                raise RasterError(
                    f"{path}: cannot be read or warped; {_DAMAGED} (GDAL: {_first_line(err)})"
                ) from err
        if valid_range is not None:
            _check_range(path, tile, valid_range, what, ds.nodata)
        empty = np.isnan(out)
        out[empty] = tile[empty]
    return out


def _check_range(
    path: Path, values: np.ndarray, valid: tuple[float, float], what: str, nodata
) -> None:
    lo, hi = valid
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(values) & ~((values >= lo) & (values <= hi))
    if bad.any():
        shown = values[bad]
        raise RasterError(
            f"{path}: {int(bad.sum()):,} cell(s) of the area hold {what} outside "
            f"{lo:,.0f}..{hi:,.0f} (min {np.nanmin(shown):g}, max {np.nanmax(shown):g}), "
            "which no real value has (a no-data value the raster does not declare, another "
            f"unit, or damage; its nodata is {nodata}); declare it (gdal_edit.py -a_nodata "
            f"VALUE {Path(path).name}) or fix those cells"
        )


def read_window(
    path: Path, bounds: tuple[float, float, float, float], *, refuse_nan: bool = False
) -> tuple[np.ndarray, Affine]:
    """Read band 1 over ``bounds`` (in the raster's CRS, outward to whole pixels).

    Returns float64 values with NaN for nodata, and the window's transform. With
    ``refuse_nan``, NaN cells that the raster does not declare as nodata are an error.
    """
    with _open(path) as ds:
        win = rasterio.windows.from_bounds(*bounds, transform=ds.transform)
        win = win.round_offsets(op="floor").round_lengths(op="ceil")
        full = rasterio.windows.Window(0, 0, ds.width, ds.height)
        try:
            win = win.intersection(full)
        except rasterio.errors.WindowError as err:
            raise RasterError(f"{path}: does not overlap the area of interest") from err
        try:
            data = ds.read(1, window=win, masked=True)
        except (rasterio.errors.RasterioError, CPLE_BaseError, RuntimeError) as err:
            raise RasterError(
                f"{path}: cannot be read; {_DAMAGED} (GDAL: {_first_line(err)})"
            ) from err
        values = np.asarray(data.astype(np.float64).filled(np.nan))
        if refuse_nan:
            stray = np.isnan(np.asarray(data.data, dtype=np.float64)) & ~np.ma.getmaskarray(data)
            if stray.any():
                raise RasterError(
                    f"{path}: {int(stray.sum())} cell(s) hold NaN, which is not the raster's "
                    f"nodata value ({ds.nodata}); a count per cell must be a number >= 0. If "
                    f"NaN means no data, declare it: gdal_edit.py -a_nodata nan {Path(path).name}"
                )
        return values, ds.window_transform(win)


def write_geotiff(
    path: Path,
    bands: list[np.ndarray],
    *,
    transform: Affine,
    crs: CRS | str,
    descriptions: list[str],
    nodata: float | None = None,
    tags: dict[str, str] | None = None,
) -> None:
    """Write float32 bands as a Cloud-Optimised GeoTIFF (GDAL's COG driver: 256-pixel
    tiles, deflate, internal overviews by nearest neighbour, so a site id stays an id);
    ``tags`` become dataset metadata."""
    stack = np.stack([np.asarray(b, dtype=np.float32) for b in bands])
    profile = {
        "driver": "COG",
        "height": stack.shape[1],
        "width": stack.shape[2],
        "count": stack.shape[0],
        "dtype": "float32",
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3,
        "blocksize": 256,
        "overviews": "auto",
        "resampling": "nearest",
    }
    try:
        with (
            _libtiff_stderr_captured(),
            rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True),
            rasterio.open(path, "w", **profile) as ds,
        ):
            ds.write(stack)
            for i, text in enumerate(descriptions, start=1):
                ds.set_band_description(i, text)
            ds.update_tags(TIFFTAG_DATETIME="1970:01:01 00:00:00", **(tags or {}))
    except (rasterio.errors.RasterioError, CPLE_BaseError) as err:  # disk full, ...
        raise OutputError(f"{path}: cannot write GeoTIFF ({_first_line(err)})") from err


@contextlib.contextmanager
def _libtiff_stderr_captured():
    """Keep what libtiff prints on file descriptor 2 by itself ("_tiffWriteProc: No space
    left on device.", next to GDAL's own error) off the terminal: the error that follows
    says it in one line (``-v`` logs what was printed)."""
    try:
        sys.stderr.flush()
        sink = tempfile.TemporaryFile()
    except (OSError, ValueError):  # no room even for that: the write's own error says it
        yield
        return
    with sink:
        try:
            saved = os.dup(2)
            os.dup2(sink.fileno(), 2)
        except OSError:  # no file descriptor 2 (an embedding host)
            yield
            return
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            with contextlib.suppress(OSError):
                sink.seek(0)
                said = sink.read(4000).decode("utf-8", "replace").strip()
                if said:
                    log.debug("GDAL / libtiff said: %s", said)


def check_output_file(path: Path, *, overwrite: bool) -> None:
    """Refuse, before any work, an output file :func:`write_geotiff_file` would refuse."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name ending in .tif")
    if path.exists() and not overwrite:
        raise OutputError(f"{path}: exists; pass --overwrite to replace it")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"{path}: folder {folder} does not exist")


def write_geotiff_file(path: Path, bands: list[np.ndarray], *, overwrite: bool, **kwargs) -> Path:
    """:func:`write_geotiff` to ``path`` atomically: written to a hidden temporary file beside
    it, then moved into place. Without ``overwrite`` an existing ``path`` is refused (also
    one that appears while writing: the move then fails rather than replace it); with it,
    only a file is replaced, never a folder. Returns ``path``."""
    path = Path(path)
    check_output_file(path, overwrite=overwrite)
    folder = path.parent if str(path.parent) else Path(".")
    tmp = folder / f".{path.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}.tif"
    try:
        write_geotiff(tmp, bands, **kwargs)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path appeared meanwhile: never clobbered
            except FileExistsError:
                raise OutputError(f"{path}: exists; pass --overwrite to replace it") from None
            except OSError:  # no hard links on this file system: check, then move
                if path.exists():
                    raise OutputError(f"{path}: exists; pass --overwrite to replace it") from None
                os.replace(tmp, path)
    except OSError as err:
        if isinstance(err, OutputError):
            raise
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from err
    finally:
        tmp.unlink(missing_ok=True)
    return path
