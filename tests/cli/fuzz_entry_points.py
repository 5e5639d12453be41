"""Fuzz every entry point of ``rural-plan`` and check one invariant on each run.

Entry points: the scenario YAML (mutated, through ``validate`` and ``run``), every input
layer of a scenario (GeoJSON / CSV vectors, DEM and population rasters), ``path``'s
profile JSON, ``place``'s NPZ instance, ``compare``'s results folders, ``sweep --set``,
and the command line itself (paths and flags). Generators draw wrong types, shapes,
magnitudes, encodings and special files (named pipes, devices, folders, symbolic-link
loops, dangling links, names that are not UTF-8, sparse files larger than any limit).

The invariant, on every run (:func:`check`):

* exit status 0 or 2 (``--help`` and ``--version``: 0);
* on 2, every stderr line is one ``rural-plan: error: ...`` problem; never a traceback
  (on 0, no traceback either); with ``-v``, which shows tracebacks and logs by design,
  only the exit status and the files are checked;
* nothing written outside the output folder (``-o`` or the default one) and the
  propagation cache; no file of the user's changed or removed; no temporary folder
  (``.NAME.partial-*``, ``.NAME.old-*``) or claim (``.NAME.lock``) left;
* no hang: a run still going after ``HANG_S`` is interrupted and counted as a hang.

``tests/cli/test_fuzz_entry_points.py`` drives the generators from Hypothesis; run this
file as a script to push many inputs through and print the counts per entry point::

    python tests/cli/fuzz_entry_points.py --n 200 --seed 1
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import io
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
ERROR_PREFIX = "rural-plan: error: "
HANG_S = 60.0
"""A run still going after this long is stopped (SIGINT) and counted as a hang."""
MAX_MEMORY_GB = "0.8"
"""``--max-memory-gb`` of every planning run: keeps a mutated scenario small enough to
finish well within ``HANG_S`` (a larger one is refused, which is also checked)."""

TINY = {
    "name": "tiny",
    "seed": 1,
    "budget_usd": 200_000,
    "grid": {"cell_size_m": 200},
    "radio": {"radius_m": 3000},
    "candidates": {"grid_spacing_m": 1000, "max_candidates": 30},
    "inputs": {"synthetic": {"size_m": 3000, "villages": 4, "people": 3000}},
    "cost": {"sensitivity": False},
    "placement": {"budget_curve_points": 3, "budget_curve_backhaul_points": 2},
}
"""A scenario that plans in about a second."""
NEWER_KEYS = {
    "budget": {"per_year_usd": 80_000},
    "radio": {
        "location_probability_pct": 90,
        "location_sigma_db": 5.5,
        "clutter": {"model": "p2108", "street_width_m": 27, "height_m": {"urban": 15}},
    },
    "backhaul": {
        "microwave_availability_pct": 99.99,
        "microwave_tx_power_dbm": 20,
        "microwave_dish_diameter_m": 0.6,
        "microwave_rx_threshold_dbm": -85,
        "microwave_polarization": "vertical",
        "rain_rate_001_mm_per_h": 100,
        "relay_frequency_mhz": 900,
    },
    "existing_network": {"serving_technologies": ["4G"], "site_merge_m": 250},
    "baseline": {"reported_coverage_pct": 50, "source": "a report", "warn_above_points": 10},
    "outputs": {"alternatives": True},
}
"""Keys of the newer features (yearly budget, clutter, location probability, microwave
hops on the DEM, today's network, the reported baseline, alternatives): a fuzzed
scenario starts from TINY with some of them, so that mutations reach them too."""
RASTER_SCENARIO = {
    **{k: v for k, v in TINY.items() if k != "inputs"},
    "inputs": {"dem": "dem.tif", "population": "pop.tif"},
}
WEST, NORTH = 43.30, -11.60
"""Top-left corner of the fuzzed rasters (lon, lat: Grande Comore)."""


# --- running and the invariant ----------------------------------------------------------


@dataclass
class Outcome:
    entry: str
    argv: list[str]
    code: int | None
    stderr: str
    seconds: float
    problem: str = ""
    """Why the run breaks the invariant ('' when it keeps it)."""

    @property
    def hang(self) -> bool:
        return self.problem.startswith("hang")

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.problem or self.problem.startswith("exception")


@dataclass
class Case:
    """One fuzzed run: the command line, and where it may write."""

    argv: list[str]
    outputs: list[Path] = field(default_factory=list)
    """Folders or files the run may create (its -o, its default output folder)."""
    label: str = ""


def _snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root`` (links not followed): files by content hash, others by
    kind. Special files are never opened."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            try:
                st = p.lstat()
            except OSError:
                continue
            if p.is_symlink():
                out[rel] = "link:" + os.readlink(p)
            elif name in dirnames:
                out[rel] = "dir"
            elif os.path.isfile(p) and st.st_size < 64 * 2**20:
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = f"special:{st.st_mode:o}:{st.st_size}"
    return out


def _inside(rel: str, outputs: list[str]) -> bool:
    return any(rel == o or rel.startswith(o + "/") for o in outputs)


def check(entry: str, case: Case, sandbox: Path) -> Outcome:
    """Run ``rural-plan *case.argv`` in this process, in ``sandbox`` (the current folder),
    and check the invariant."""
    from rural_plan.cli import main

    before = _snapshot(sandbox)
    outputs = []
    for o in case.outputs:
        with contextlib.suppress(ValueError):
            outputs.append(Path(os.path.abspath(o)).relative_to(sandbox).as_posix())
    err, out = io.StringIO(), io.StringIO()
    stopped = threading.Event()

    def stop():  # a hang: interrupt it (main answers "interrupted", 130)
        stopped.set()
        os.kill(os.getpid(), signal.SIGINT)

    watchdog = threading.Timer(HANG_S, stop)
    cwd = os.getcwd()
    t0 = time.perf_counter()
    crash = ""
    code: int | None = None
    try:
        os.chdir(sandbox)
        watchdog.start()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                code = main(case.argv)
            except SystemExit as exc:  # --help, --version
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # whatever escapes main is a failure
        crash = traceback.format_exc()
    finally:
        watchdog.cancel()
        os.chdir(cwd)
    seconds = time.perf_counter() - t0
    stderr = err.getvalue()
    outcome = Outcome(entry, case.argv, code, stderr, seconds)
    verbose = bool({"-v", "--verbose"} & set(case.argv))  # -v shows tracebacks and logs
    if stopped.is_set():
        outcome.problem = f"hang: still running after {HANG_S:g} s"
    elif crash:
        outcome.problem = "exception escaped main():\n" + crash
    elif code not in (0, 2):
        outcome.problem = f"exit status {code}:\n{stderr}"
    elif verbose:
        pass
    elif "Traceback" in stderr:
        outcome.problem = "traceback on stderr:\n" + stderr
    elif code == 2:
        lines = stderr.splitlines()
        bad = [line for line in lines if not line.startswith(ERROR_PREFIX)]
        if not lines:
            outcome.problem = "exit status 2 with nothing on stderr"
        elif bad:
            outcome.problem = f"stderr lines that are not one problem each: {bad[:3]}"
    if not outcome.problem:
        outcome.problem = _files_problem(before, _snapshot(sandbox), outputs)
    return outcome


def _files_problem(before: dict[str, str], after: dict[str, str], outputs: list[str]) -> str:
    changed = [k for k, v in before.items() if after.get(k) != v and not _inside(k, outputs)]
    if changed:
        return f"user files changed or removed: {changed[:5]}"
    new = [k for k in after if k not in before and not _inside(k, outputs)]
    if new:
        return f"written outside the output folder: {new[:5]}"
    temporary = [
        k for k in after if any(t in Path(k).name for t in (".partial-", ".old-", ".lock"))
    ]
    if temporary:
        return f"temporary folder or claim left: {temporary[:5]}"
    return ""


# --- values -----------------------------------------------------------------------------

_NUMBERS = [
    0,
    -0.0,
    1,
    -1,
    0.5,
    -5,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    1.7e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    2**31,
    2**63,
    -(2**63),
    10**30,
    3.999999,
    90000,
]
_TEXT = ["", " ", "x", "lots", "1e6", "-1", "nan", "true", "é🙂中文", "\udcff", "a\nb", "x" * 300]


def any_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.choice(_NUMBERS)
    if kind == 1:
        return rng.choice(_TEXT)
    if kind == 2:
        return rng.choice([None, True, False])
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    return rng.randrange(-1000, 1000)


def any_value(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON / YAML value: a scalar, or nested lists and mappings of them."""
    kind = rng.randrange(10) if depth < 3 else 0
    if kind <= 5:
        return any_scalar(rng)
    if kind <= 7:
        return [any_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    keys = [rng.choice(["type", "name", "value", "x", "", "coordinates", "properties"])]
    return {k: any_value(rng, depth + 1) for k in keys * rng.randrange(1, 3)}


def encode(rng: random.Random, text: str) -> bytes:
    """``text`` as bytes, usually UTF-8; sometimes with a BOM, as UTF-16, as Latin-1, cut
    short, or with bytes that are not UTF-8 at all."""
    raw = text.encode("utf-8", "surrogatepass")
    op = rng.randrange(12)
    if op == 0:
        return b"\xef\xbb\xbf" + raw
    if op == 1:
        return text.encode("utf-16", "surrogatepass")
    if op == 2:
        return text.encode("latin-1", "replace")
    if op == 3:
        return raw[: rng.randrange(len(raw) + 1)]
    if op == 4:
        pos = rng.randrange(len(raw) + 1)
        return raw[:pos] + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8))) + raw[pos:]
    if op == 5:
        return raw.replace(b" ", b"\x00", 1)
    return raw


SPECIAL_KINDS = (
    "fifo",
    "/dev/zero",
    "/dev/null",
    "folder",
    "symlink-loop",
    "dangling-symlink",
    "empty",
    "not-utf8-name",
    "sparse-4GB",
)


def special_file(rng: random.Random, folder: Path, stem: str, suffix: str) -> str:
    """A path that is not an ordinary readable file of the expected kind."""
    kind = rng.choice(SPECIAL_KINDS)
    path = folder / f"{stem}-{kind.strip('/').replace('/', '-')}{suffix}"
    if kind.startswith("/dev/"):
        return kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "symlink-loop":
        other = path.with_name(path.name + ".other")
        path.symlink_to(other)
        other.symlink_to(path)
    elif kind == "dangling-symlink":
        path.symlink_to(folder / "gone")
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "not-utf8-name":
        raw = os.fsencode(folder) + b"/" + os.fsencode(stem) + b"-\xe9" + os.fsencode(suffix)
        with open(raw, "wb") as f:
            f.write(b"{}")
        return os.fsdecode(raw)
    elif kind == "sparse-4GB":
        with open(path, "wb") as f:
            f.truncate(4 * 2**30)
    return str(path)


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _write_scenario(folder: Path, data: Any, name: str = "s.yaml") -> Path:
    path = folder / name
    path.write_bytes(_yaml(data).encode("utf-8", "surrogatepass"))
    return path


# --- the scenario YAML ------------------------------------------------------------------

_SLOW_KNOBS = {  # capped after mutation: a legitimate scenario must not look like a hang
    ("placement", "time_limit_s"): 5,
    ("placement", "budget_curve_points"): 5,
    ("placement", "budget_curve_backhaul_points"): 2,
    ("cost", "monte_carlo_samples"): 20,
    ("radio", "radius_m"): 5000,
}


def _cap_slow_knobs(data: Any) -> Any:
    if not isinstance(data, dict):
        return data
    for (section, key), most in _SLOW_KNOBS.items():
        node = data.get(section)
        if isinstance(node, dict) and isinstance(node.get(key), int | float):
            if not isinstance(node[key], bool) and node[key] > most:
                node[key] = most
    return data


def _with_newer_keys(rng: random.Random, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with a random subset of NEWER_KEYS merged in (none a third of the time)."""
    if rng.random() < 0.33:
        return data
    for section, keys in NEWER_KEYS.items():
        if rng.random() < 0.5:
            chosen = {
                k: copy.deepcopy(v)
                for k, v in keys.items()
                if section == "baseline" or rng.random() < 0.6  # a reported figure cites
            }
            data[section] = {**data.get(section, {}), **chosen}
    return data


def scenario_case(rng: random.Random, folder: Path, command: str = "validate") -> Case:
    """The tiny scenario mutated (tests/scenario/fuzz_scenarios.py's mutations)."""
    from tests.scenario.fuzz_scenarios import mutate, mutate_text

    data: Any = _with_newer_keys(rng, copy.deepcopy(TINY))
    for _ in range(rng.choice([0, 1, 1, 1, 2, 3])):
        if not isinstance(data, dict):
            break
        data, _ = mutate(rng, data)
    data = _cap_slow_knobs(data)
    text = _yaml(data)
    if rng.random() < 0.2:
        text = mutate_text(rng, text)
    path = folder / "s.yaml"
    path.write_bytes(
        encode(rng, text) if rng.random() < 0.15 else text.encode("utf-8", "surrogatepass")
    )
    out = folder / "out"
    if command == "run":
        return Case(
            ["run", "-q", str(path), "-o", str(out), "--max-memory-gb", MAX_MEMORY_GB], [out]
        )
    return Case(["validate", "-q", str(path)])


# --- vector layers ------------------------------------------------------------------------

LAYERS = {
    # key: (geometry type, suffixes)
    "existing_towers": ("Point", (".geojson", ".csv")),
    "existing_coverage": ("Polygon", (".geojson",)),
    "fibre_nodes": ("Point", (".geojson", ".csv")),
    "settlements": ("Point", (".geojson", ".csv")),
    "candidate_sites": ("Point", (".geojson", ".csv")),
    "pois": ("Point", (".geojson", ".csv")),
    "exclusions": ("Polygon", (".geojson",)),
    "roads": ("LineString", (".geojson",)),
}


def _synthetic_centre() -> tuple[float, float]:
    import rasterio.warp

    lon, lat = rasterio.warp.transform("EPSG:32737", "EPSG:4326", [501_500.0], [8_998_500.0])
    return lon[0], lat[0]


def _position(rng: random.Random, lon: float, lat: float) -> Any:
    op = rng.randrange(40)
    if op == 0:
        return any_value(rng)
    if op == 1:
        return [rng.choice(_NUMBERS), rng.choice(_NUMBERS)]
    if op == 2:
        return [lat, lon]  # swapped
    if op == 3:
        return [lon * 1e5, lat * 1e5]  # metres
    if op == 4:
        return [True, False]
    if op == 5:
        return [lon]
    return [lon + rng.uniform(-0.01, 0.01), lat + rng.uniform(-0.01, 0.01)]


def _geometry(rng: random.Random, kind: str, lon: float, lat: float) -> Any:
    if rng.random() < 0.04:
        return any_value(rng)
    if rng.random() < 0.05:
        kind = rng.choice(["Point", "LineString", "Polygon", "MultiPoint", "GeometryCollection"])
    if kind == "Point":
        coords: Any = _position(rng, lon, lat)
    elif kind == "LineString":
        coords = [_position(rng, lon, lat) for _ in range(rng.choice([0, 1, 2, 3, 4, 2, 3]))]
    elif kind == "Polygon":
        d = rng.choice([0.002, 0.002, 0.5])  # a small area, or one covering everything
        ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d]]
        if rng.random() < 0.3:
            ring = [_position(rng, lon, lat) for _ in range(rng.randrange(0, 6))]
        coords = [[*ring, ring[0]] if ring and rng.random() < 0.85 else ring]
    else:
        coords = [_position(rng, lon, lat) for _ in range(rng.randrange(0, 3))]
    if rng.random() < 0.05:  # nested far too deep (spliced into the text: see geojson_text)
        coords = f"__DEEP{rng.choice([50, 5000, 100_000])}__"
    return {"type": kind, "coordinates": coords}


_GOOD_PROPS = {
    "name": "a place",
    "height_m": 30,
    "antenna_height": 25,
    "eirp_dbm": 60,
    "poi_type": "school",
    "is_connected": False,
}


def _properties(rng: random.Random) -> Any:
    if rng.random() < 0.05:
        return any_value(rng)
    props = {}
    for key, good in _GOOD_PROPS.items():
        if rng.random() < 0.4:
            bad = any_scalar(rng) if rng.random() < 0.6 else any_value(rng)
            props[key] = good if rng.random() < 0.7 else bad
    return props


def geojson_text(rng: random.Random, kind: str) -> str:
    lon, lat = _synthetic_centre()
    feats: list[Any] = []
    for _ in range(rng.randrange(0, 5)):
        if rng.random() < 0.04:
            feats.append(any_value(rng))
            continue
        feat = {"type": "Feature", "geometry": _geometry(rng, kind, lon, lat)}
        feat["properties"] = _properties(rng)
        if rng.random() < 0.1:
            feat.pop(rng.choice(["geometry", "properties", "type"]))
        feats.append(feat)
    doc: Any = {"type": "FeatureCollection", "features": feats}
    if rng.random() < 0.05:
        doc = rng.choice([feats, any_value(rng), {"type": "FeatureCollection"}, {"type": "Point"}])
    text = json.dumps(doc, allow_nan=True)
    for depth in (50, 5000, 100_000):
        text = text.replace(f'"__DEEP{depth}__"', "[" * depth + "]" * depth)
    if rng.random() < 0.05:
        text = text[: rng.randrange(len(text) + 1)]
    if rng.random() < 0.05:
        text = text.replace('"name"', '"name\\udcff"', 1)
    return text


_OPENCELLID_HEADER = "radio,mcc,net,area,cell,unit,lon,lat,range,samples"
_GIGA_HEADER = "Site ID,Latitude,Longitude,Technology,Tower Height"


def tower_csv_text(rng: random.Random) -> str:
    """An OpenCelliD export or a Giga cell-site table (detected from the header) with odd
    radios, technologies, identifiers, coordinates and heights."""
    lon, lat = _synthetic_centre()
    giga = rng.random() < 0.5
    rows = [_GIGA_HEADER if giga else _OPENCELLID_HEADER]
    values = ["", "x", "nan", "1e400", "-1", "true", "IBS", "30m", "2G/3G/4G", "LTE", "6G"]
    for i in range(rng.randrange(0, 6)):
        if giga:
            cells = [f"s{i}", lat, lon, rng.choice(["4G", "2G/3G", "LTE"]), rng.choice([30, 45])]
        else:
            radio = rng.choice(["GSM", "UMTS", "LTE", "NR"])
            cells = [radio, 641, 1, 100, 256 * 5 + i, 0, lon, lat, 1000, rng.randrange(1, 9)]
        for _ in range(rng.choice([0, 0, 1, 2])):
            cells[rng.randrange(len(cells))] = rng.choice(values + _NUMBERS)
        rows.append(",".join(str(c) for c in cells))
    return "\n".join(rows) + "\n"


def csv_text(rng: random.Random) -> str:
    lon, lat = _synthetic_centre()
    header = rng.choice(["name,lon,lat", "lat,lon", "x,y,name", "Longitude;Latitude", "", "a,b,c"])
    rows = [header]
    for i in range(rng.randrange(0, 5)):
        cells = [
            str(rng.choice([lon, lat, lon + 0.001, "", "x", "1e400", "nan", *_NUMBERS]))
            for _ in range(3)
        ]
        if rng.random() < 0.6:
            cells = [f"s{i}", str(lon + rng.uniform(-0.01, 0.01)), str(lat)]
        rows.append(",".join(cells[: rng.randrange(0, 4)] if rng.random() < 0.1 else cells))
    if rng.random() < 0.05:
        rows.append('"unclosed,1,2')
    return "\n".join(rows) + "\n"


def layer_case(rng: random.Random, folder: Path, command: str = "validate") -> Case:
    """A vector layer of the tiny scenario: wrong geometry types, bad coordinates, wrong
    property types and magnitudes, broken JSON or CSV, odd encodings, special files."""
    key = rng.choice(sorted(LAYERS))
    geometry, suffixes = LAYERS[key]
    suffix = rng.choice(suffixes)
    if rng.random() < 0.06:
        path = special_file(rng, folder, key, suffix)
    else:
        if suffix != ".csv":
            text = geojson_text(rng, geometry)
        elif key == "existing_towers" and rng.random() < 0.7:
            text = tower_csv_text(rng)
        else:
            text = csv_text(rng)
        path = str(folder / f"{key}{suffix}")
        Path(path).write_bytes(
            encode(rng, text) if rng.random() < 0.2 else text.encode("utf-8", "surrogatepass")
        )
    data = copy.deepcopy(TINY)
    data["inputs"][key] = path
    scenario = _write_scenario(folder, data)
    out = folder / "out"
    if command == "run":
        return Case(
            ["run", "-q", str(scenario), "-o", str(out), "--max-memory-gb", MAX_MEMORY_GB],
            [out],
            key,
        )
    return Case(["validate", "-q", str(scenario)], [], key)


# --- rasters ------------------------------------------------------------------------------

_LOCAL_CS = 'LOCAL_CS["arbitrary",UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]'


def _raster(rng: random.Random, path: Path, people: bool) -> None:
    """A small GeoTIFF: odd dtypes, shapes, values, nodata, CRSs and geotransforms."""
    import rasterio
    from affine import Affine
    from rasterio.crs import CRS

    shape = rng.choice([(30, 30)] * 8 + [(1, 1), (1, 5), (5, 1), (3, 3)])
    base = 3.0 * np.random.default_rng(rng.randrange(1000)).random(shape)
    data = base if people else 200.0 + 100.0 * base
    op = rng.randrange(16)
    if op == 0:
        data.flat[rng.randrange(data.size)] = rng.choice(
            [np.nan, np.inf, -np.inf, 1e30, -1e30, -5.0, 1e12]
        )
    elif op == 1:
        data[:] = rng.choice([0.0, np.nan, -32768.0, 1e30])
    dtype = rng.choice(["float32"] * 6 + ["float64", "int16", "uint8", "uint16", "int32"])
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        data = np.clip(
            np.nan_to_num(data, nan=0, posinf=info.max, neginf=info.min), info.min, info.max
        )
    nodata = rng.choice([None] * 6 + [np.nan, -9999, 0, 1e30, -32768])
    if nodata is not None and np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        nodata = None if not (np.isfinite(nodata) and info.min <= nodata <= info.max) else nodata
    res = rng.choice([0.001] * 8 + [10.0, 1e-7, 0.5])
    transform = Affine(res, 0, WEST, 0, -res, NORTH)
    crs: Any = CRS.from_epsg(4326)
    op = rng.randrange(24)
    if op == 0:
        crs = CRS.from_wkt(_LOCAL_CS)
        transform = Affine(100, 0, 0, 0, -100, 4000)
    elif op == 1:
        crs = None
    elif op == 2:
        transform = Affine(res, res / 5, WEST, res / 5, -res, NORTH)  # rotated
    elif op == 3:
        transform = Affine(res, 0, WEST, 0, res, NORTH)  # south-up
    elif op == 4:
        crs = CRS.from_epsg(32737)
        transform = Affine(100, 0, 500_000, 0, -100, 9_000_000)
    profile = dict(
        driver="GTiff",
        width=shape[1],
        height=shape[0],
        count=1,
        dtype=dtype,
        nodata=nodata,
        transform=transform,
    )
    if crs is not None:
        profile["crs"] = crs
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(path, "w", **profile) as ds:
            ds.write(np.asarray(data).astype(dtype), 1)
    op = rng.randrange(12)
    if op == 0:  # cut short
        whole = path.read_bytes()
        path.write_bytes(whole[: rng.randrange(len(whole))])
    elif op == 1:  # damaged bytes
        whole = bytearray(path.read_bytes())
        for _ in range(rng.randrange(1, 20)):
            whole[rng.randrange(len(whole))] = rng.randrange(256)
        path.write_bytes(bytes(whole))
    elif op == 2:
        path.write_text("elevation,not,a,raster\n1,2,3\n")
    # (op 3..11: left as written)


def _good_raster(path: Path, people: bool) -> None:
    import rasterio
    from affine import Affine

    data = 3.0 * np.random.default_rng(7).random((30, 30))
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=30,
        height=30,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.001, 0, WEST, 0, -0.001, NORTH),
    ) as ds:
        ds.write((data if people else 200.0 + 100.0 * data).astype("float32"), 1)


def raster_case(rng: random.Random, folder: Path, command: str = "validate") -> Case:
    """DEM and population rasters of the scenario (one or two DEM tiles, zipped or not)."""
    data = copy.deepcopy(RASTER_SCENARIO)
    for key in ("dem", "population"):
        if rng.random() < 0.05:
            data["inputs"][key] = special_file(rng, folder, key, ".tif")
            continue
        path = folder / f"{key}.tif"
        if rng.random() < 0.4:  # mostly one raster fuzzed, the other good
            _good_raster(path, people=key == "population")
        else:
            _raster(rng, path, people=key == "population")
        if rng.random() < 0.05:  # zipped: one, none or two rasters inside
            zpath = folder / f"{key}.zip"
            with zipfile.ZipFile(zpath, "w") as zf:
                for i in range(rng.choice([0, 1, 1, 2])):
                    zf.write(path, f"{key}{i}.tif")
            path = zpath
        data["inputs"][key] = path.name
    for key in ("land_cover", "existing_coverage"):  # the other rasters a scenario reads
        if rng.random() < 0.15:
            path = folder / f"{key}.tif"
            _raster(rng, path, people=True)
            data["inputs"][key] = path.name
    if rng.random() < 0.08:
        data["inputs"]["dem"] = [data["inputs"]["dem"]] * rng.choice([0, 2])
    if rng.random() < 0.1:
        data["area"] = {"bbox_lonlat": [WEST, NORTH - 0.02, WEST + 0.02, NORTH]}
    scenario = _write_scenario(folder, data)
    out = folder / "out"
    if command == "run":
        return Case(
            ["run", "-q", str(scenario), "-o", str(out), "--max-memory-gb", MAX_MEMORY_GB], [out]
        )
    return Case(["validate", "-q", str(scenario)])


# --- cost presets ---------------------------------------------------------------------------


def preset_case(rng: random.Random, folder: Path) -> Case:
    """The scenario's own cost preset file (``cost.preset: prices.yaml``): the packaged
    preset mutated as a scenario is (figures of every type and sign, keys deleted,
    misspelt, added, ``extends`` anywhere), tags and broken syntax, encodings, special
    files."""
    from rural_plan.costing.presets import COST_PRESETS
    from tests.scenario.fuzz_scenarios import mutate, mutate_text

    data: Any = yaml.safe_load(Path(COST_PRESETS["default"]).read_text(encoding="utf-8"))
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        if not isinstance(data, dict):
            break
        data, _ = mutate(rng, data)
    text = _yaml(data)
    if rng.random() < 0.2:
        text = mutate_text(rng, text)
    if rng.random() < 0.05:
        preset = special_file(rng, folder, "prices", ".yaml")
    else:
        preset = str(folder / "prices.yaml")
        Path(preset).write_bytes(
            encode(rng, text) if rng.random() < 0.1 else text.encode("utf-8", "surrogatepass")
        )
    scenario = copy.deepcopy(TINY)
    scenario["cost"] = {**scenario["cost"], "preset": preset}
    return Case(["validate", "-q", str(_write_scenario(folder, scenario))])


# --- path profiles ------------------------------------------------------------------------

PATH_MODELS = (
    "itm",
    "bullington",
    "delta-bullington",
    "deygout",
    "knife-edge",
    "free-space",
    "okumura-hata",
    "cost231-hata",
)


_BAD_NUMBERS = ["-1", "0", "nan", "inf", "-inf", "1e309", "abc", "", "1e-300", "true", "5e5"]


def _flag_number(rng: random.Random, good: str) -> str:
    return good if rng.random() < 0.8 else rng.choice(_BAD_NUMBERS)


def profile_case(rng: random.Random, folder: Path) -> Case:
    """A profile JSON (elevations, step or distances: types, lengths, magnitudes,
    booleans, nesting, extra keys, encodings) and ``path``'s flags."""
    n = rng.choice([0, 1, 2, 3, 5, 20, 200])
    z: Any = [rng.uniform(0, 500) for _ in range(n)]
    if rng.random() < 0.3 and z:
        z[rng.randrange(len(z))] = any_value(rng)
    if rng.random() < 0.1:
        z = any_value(rng)
    doc: Any = {"elevations_m": z}
    op = rng.randrange(6)
    if op <= 2:
        doc["step_m"] = rng.choice([10, 90, 1000, *_NUMBERS, "90", [90], True])
    elif op <= 4:
        d = sorted(rng.uniform(0, 20_000) for _ in range(max(0, n - 1)))
        d = [0.0, *d]
        if rng.random() < 0.3 and d:
            d[rng.randrange(len(d))] = any_value(rng)
        doc["distances_m"] = d
    else:
        doc["step_m"], doc["distances_m"] = 10, [0, 10]
    if rng.random() < 0.1:
        doc[rng.choice(["extra", "elevation_m", "STEP"])] = any_value(rng)
    if rng.random() < 0.08:
        doc = any_value(rng)
    if rng.random() < 0.1:
        path = special_file(rng, folder, "profile", ".json")
    else:
        path = str(folder / "profile.json")
        text = json.dumps(doc, allow_nan=True)
        Path(path).write_bytes(
            encode(rng, text) if rng.random() < 0.15 else text.encode("utf-8", "surrogatepass")
        )
    argv = ["path", path, "--model", rng.choice(PATH_MODELS)]
    argv += ["--f-mhz", _flag_number(rng, rng.choice(["900", "150", "2400", "20"]))]
    argv += ["--h-tx-m", _flag_number(rng, "30"), "--h-rx-m", _flag_number(rng, "1.5")]
    for flag, good in (
        ("--k-factor", "1.333"),
        ("--climate", "5"),
        ("--n0", "301"),
        ("--time", "50"),
        ("--reliability", "50"),
        ("--confidence", "50"),
        ("--sigma", "0.005"),
        ("--mdvar", "12"),
        ("--street-width-m", "27"),
        ("--clutter-height-m", "10"),
    ):
        if rng.random() < 0.15:
            argv += [flag, _flag_number(rng, good)]
    if rng.random() < 0.3:
        argv.append("--allow-extrapolation")
    if rng.random() < 0.3:
        argv += ["--clutter-type", rng.choice(["urban", "open-rural", "dense-urban", "moon"])]
    return Case(argv)


# --- placement instances ------------------------------------------------------------------

_DTYPES = [
    "int64",
    "int32",
    "int8",
    "uint8",
    "uint64",
    "float64",
    "float32",
    "float16",
    "bool",
    "complex128",
    "<U3",
    "object",
]


def _npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def _forged_header(rng: random.Random) -> bytes:
    n = rng.choice([10**11, 2**40, 2**62, 3])
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (n,)}
    )
    return buf.getvalue() + bytes(rng.randrange(0, 64))


_BOMB: list[bytes] = []


def _zip_bomb() -> bytes:
    """An NPZ whose weight.npy inflates 96 MiB of zeros from about 100 KB (built once)."""
    if not _BOMB:
        buf = io.BytesIO()
        n = 12 * 2**20
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, value in (("indptr", [0, 1]), ("indices", [0]), ("cost_usd", [1.0])):
                zf.writestr(f"{name}.npy", _npy_bytes(np.asarray(value)))
            zf.writestr("location.npy", _npy_bytes(np.asarray([0])))
            with zf.open("weight.npy", "w", force_zip64=True) as f:
                header = io.BytesIO()
                np.lib.format.write_array_header_1_0(
                    header, {"descr": "<f8", "fortran_order": False, "shape": (n,)}
                )
                f.write(header.getvalue())
                for _ in range(n // 2**20):
                    f.write(bytes(8 * 2**20))
        _BOMB.append(buf.getvalue())
    return _BOMB[0]


def instance_case(rng: random.Random, folder: Path) -> Case:
    """An NPZ instance: arrays missing or extra, of any dtype, shape and magnitude,
    forged headers, zip bombs, truncated archives; and ``place``'s flags."""
    n_opt, n_cells = rng.choice([(3, 4), (0, 0), (1, 1), (40, 200)])
    gen = np.random.default_rng(rng.randrange(1000))
    sizes = gen.integers(0, max(1, n_cells), n_opt) % 6
    arrays: dict[str, Any] = {
        "indptr": np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        "indices": gen.integers(0, max(1, n_cells), int(sizes.sum())),
        "weight": gen.gamma(1.0, 3.0, n_cells),
        "cost_usd": gen.uniform(10, 50, n_opt),
        "location": np.arange(n_opt) // 2,
    }
    if rng.random() < 0.2:
        arrays["capacity"] = gen.uniform(1, 10, n_opt)
    members: dict[str, bytes] = {}
    for name in list(arrays):
        a = arrays[name]
        op = rng.randrange(40)
        if op == 0:
            continue  # missing
        if op == 1:
            with contextlib.suppress(ValueError, TypeError, OverflowError):
                a = np.asarray(a).astype(rng.choice(_DTYPES))
        elif op == 2:
            a = np.asarray(a).reshape(1, -1) if np.asarray(a).size else np.zeros((0, 2))
        elif op == 3:
            a = np.asarray(rng.choice(_NUMBERS))
        elif op == 4 and np.asarray(a).size:
            a = np.asarray(a, dtype=np.float64).copy()
            a.flat[rng.randrange(a.size)] = rng.choice(_NUMBERS)
        elif op == 5:
            members[name + ".npy"] = _forged_header(rng)
            continue
        members[name + ".npy"] = _npy_bytes(np.asarray(a))
    if rng.random() < 0.05:
        members["extra.npy"] = _npy_bytes(np.zeros(3))
    path = folder / "instance.npz"
    op = rng.randrange(14)
    if op == 0:  # a zip bomb: 96 MiB of zeros in about 100 KB
        path.write_bytes(_zip_bomb())
    else:
        compression = zipfile.ZIP_DEFLATED if rng.random() < 0.5 else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, "w", compression=compression) as zf:
            for name, raw in members.items():
                zf.writestr(name, raw)
        if op == 1:
            whole = path.read_bytes()
            path.write_bytes(whole[: rng.randrange(len(whole) + 1)])
        elif op == 2:
            whole = bytearray(path.read_bytes())
            for _ in range(rng.randrange(1, 10)):
                whole[rng.randrange(len(whole))] = rng.randrange(256)
            path.write_bytes(bytes(whole))
        elif op == 3:
            path.write_bytes(encode(rng, "hello, not a zip"))
    target = str(path) if rng.random() > 0.08 else special_file(rng, folder, "instance", ".npz")
    argv = ["place", target, "--budget-usd", _flag_number(rng, rng.choice(["30", "100", "1e6"]))]
    argv += ["--method", rng.choice(["greedy", "local-search", "milp", "greedy", "nope"])]
    if rng.random() < 0.3:
        argv += ["--time-limit-s", _flag_number(rng, "2")]
    if rng.random() < 0.1:
        argv += ["--max-memory-gb", _flag_number(rng, "0.001")]
    return Case(argv)


# --- compare --------------------------------------------------------------------------------

_SUMMARY_KEYS = (
    "people_newly_covered",
    "share_newly_covered",
    "sites_selected",
    "tco_usd",
    "capex_usd",
    "people_per_1000_usd",
    "cost_per_person_usd",
)


def compare_case(rng: random.Random, folder: Path) -> Case:
    """Results folders whose summary.json is anything (or missing, or special), and -o
    targets that exist, are files, or hold the compared folders."""
    folders = []
    for i in range(rng.randrange(1, 4)):
        d = folder / f"r{i}"
        op = rng.randrange(10)
        if op == 0:
            folders.append(special_file(rng, folder, f"r{i}", ""))
            continue
        d.mkdir()
        if op == 1:
            folders.append(str(d))  # no summary.json
            continue
        if op == 2:  # summary.json is a folder, a named pipe, a link loop, ...
            folders.append(str(d))
            made = special_file(rng, d, "x", "")
            with contextlib.suppress(OSError):
                if made.startswith("/dev/"):
                    (d / "summary.json").symlink_to(made)
                else:
                    os.rename(made, d / "summary.json")
            continue
        summary: Any = {
            k: rng.choice([rng.uniform(0, 1e6), any_scalar(rng)]) for k in _SUMMARY_KEYS
        }
        if rng.random() < 0.1:
            summary = any_value(rng)
        text = json.dumps(summary, allow_nan=True)
        (d / "summary.json").write_bytes(
            encode(rng, text) if rng.random() < 0.15 else text.encode("utf-8", "surrogatepass")
        )
        folders.append(str(d))
    if rng.random() < 0.1:
        folders.append(folders[0])  # the same folder twice
    out = folder / "cmp"
    op = rng.randrange(8)
    if op == 0:
        out.write_text("a file")
    elif op == 1:
        out.mkdir()
        (out / "notes.txt").write_text("mine")
    elif op == 2:
        out = Path(folders[0])  # onto a compared folder
    argv = ["compare", *folders, "-o", str(out)]
    if rng.random() < 0.3:
        argv.append("--overwrite")
    return Case(argv, [folder / "cmp"])


# --- sweep --set ----------------------------------------------------------------------------

_SWEEP_KEYS = [
    "budget_usd",
    "cost.preset",
    "placement.method",
    "radio.frequency_mhz",
    "seed",
    "name",
    "colour",
    "budget_usd.x",
    "",
    "inputs.synthetic.villages",
    "grid.cell_size_m",
    "é",
    "budget.per_year_usd",
    "radio.location_probability_pct",
    "radio.clutter.model",
    "backhaul.microwave_tx_power_dbm",
    "outputs.alternatives",
]
_SWEEP_VALUES = [
    "1e5",
    "2e5",
    "default",
    "comoros",
    "nope",
    "greedy",
    "true",
    "[1, 2]",
    "{a: 1}",
    "&a [*a]",
    "!!python/object/apply:os.system [x]",
    "",
    "nan",
    "-1",
    "'unclosed",
    "../../x",
    "*b",
]


def sweep_case(rng: random.Random, folder: Path) -> Case:
    """``--set`` strings: unknown, empty or dotted-too-far keys, YAML snippets, aliases,
    tags, repeated values and keys, thousands of values."""
    scenario = _write_scenario(folder, _cap_slow_knobs(copy.deepcopy(TINY)))
    argv = ["sweep", "-q", str(scenario)]
    for _ in range(rng.choice([0, 1, 1, 1, 2, 2])):
        if rng.random() < 0.5:  # a set that plans
            key, values = rng.choice(
                [("budget_usd", "1e5,2e5"), ("cost.preset", "default,comoros"), ("seed", "1,2")]
            )
        else:
            key = rng.choice(_SWEEP_KEYS)
            n = rng.choice([1, 1, 2, 3, 1200])
            if n > 3:
                values = ",".join(str(200_000 + i) for i in range(n))
            else:
                values = ",".join(rng.choice(_SWEEP_VALUES) for _ in range(n))
        form = rng.choice([f"{key}={values}"] * 6 + [key, f"={values}", f"{key}="])
        argv += ["--set", form]
    out = folder / "sweep"
    argv += ["-o", str(out), "--max-memory-gb", MAX_MEMORY_GB]
    return Case(argv, [out])


# --- the command line: paths and flags ------------------------------------------------------

_COMMANDS = ("run", "validate", "path", "place", "sweep", "diagnose", "compare", "bench")
_FLAGS = [
    "-v",
    "-q",
    "--overwrite",
    "--no-cache",
    "--max-memory-gb",
    "--executor",
    "--dask-address",
    "--dask-workers",
    "-o",
    "--output",
    "--set",
    "--model",
    "--f-mhz",
    "--budget-usd",
    "--method",
    "--export",
    "--repo",
    "--only",
    "--cluster-radius-m",
    "--min-cluster-people",
    "--help",
    "--version",
    "--bogus",
    "-x",
]


def flags_case(rng: random.Random, folder: Path) -> Case:
    """A command and random flags, values and paths (special files, names that are not
    UTF-8, very long ones, empty strings)."""
    scenario = _write_scenario(folder, TINY)
    values = [
        str(scenario),
        "",
        "-",
        "x" * 5000,
        str(folder / "missing.yaml"),
        "0",
        "-1",
        "nan",
        "1e309",
        "local",
        "dask",
        "x:y",
        "tcp://127.0.0.1:99999",
        "budget_usd=1e5",
        "é🙂",
        os.fsdecode(os.fsencode(folder) + b"/\xff.yaml"),
    ]
    command = rng.choice(_COMMANDS)
    argv = [command]
    if command == "bench":
        argv += ["--repo", str(folder)]  # never the clone's real benchmarks
    if rng.random() < 0.5:
        argv.append(
            rng.choice(values) if rng.random() < 0.6 else special_file(rng, folder, "arg", ".yaml")
        )
    for _ in range(rng.randrange(0, 4)):
        flag = rng.choice(_FLAGS)
        if flag == "--repo" or (command == "bench" and flag in ("--only", "-o", "--output")):
            continue
        argv.append(flag)
        if rng.random() < 0.7:
            argv.append(rng.choice(values))
    if command in ("run", "sweep", "diagnose"):
        argv += ["--max-memory-gb", MAX_MEMORY_GB]
    outputs = [folder / "out", folder / "comparison"]
    for i, a in enumerate(argv[:-1]):
        if a in ("-o", "--output"):
            outputs.append(Path(os.path.abspath(os.path.join(folder, argv[i + 1]))))
    return Case(argv, outputs)


# --- the Python API: derive_scenario and load_scenario(path, overrides) -------------------------


def _dotted_keys(data: Any, prefix: str = "") -> list[str]:
    """Every dotted key of a mapping, nested ones included (lists are values)."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            key = f"{prefix}{k}"
            out.append(key)
            out.extend(_dotted_keys(v, key + "."))
    return out


def changes_for(rng: random.Random, data: dict[str, Any]) -> dict[str, Any]:
    """One to three changes to ``data`` as an analyst writes them: dotted keys (known,
    misspelt, unknown, too deep, empty) or merging top-level mappings, with values of any
    type, sign and magnitude."""
    from tests.scenario.fuzz_scenarios import _typo, random_scalar, random_value

    merged = {**NEWER_KEYS, **data}
    known = [*_dotted_keys(merged), "seed", "name"]
    changes: dict[str, Any] = {}
    for _ in range(rng.choice([1, 1, 2, 3])):
        key = rng.choice(known)
        op = rng.randrange(8)
        if op == 0:
            key = _typo(rng, key)
        elif op == 1:
            key = key + ".x"
        elif op == 2:
            key = rng.choice(["", ".", "a..b", "colour", "inputs.synthetic.", "é"])
        value = rng.choice(
            [random_scalar(rng), random_scalar(rng), random_value(rng), True, "1e6", 2.5, -1]
        )
        if op >= 4:  # a sensible value: the one there, or that number halved or doubled
            value = _at(merged, key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = value * rng.choice([0.5, 1, 2])
        if rng.random() < 0.15:  # a top-level mapping that merges
            top, _, rest = key.partition(".")
            value = {rest or "x": value}
            key = top
        changes[key] = value
    return changes


def _at(data: Any, key: str) -> Any:
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return copy.deepcopy(data)


def _lines(err: Exception) -> list[str]:
    """A ScenarioError's problems without the scenario's name (derive and load name it
    differently)."""
    problems = getattr(err, "problems", None) or [str(err)]
    return sorted(line.split(": ", 1)[-1] for line in problems)


def api_case(rng: random.Random, folder: Path) -> Outcome:
    """``derive_scenario(scenario, changes)`` and ``load_scenario(path, changes)`` on the
    same changes: each returns a Scenario or raises ScenarioError (nothing else), and they
    agree: both accept, or both refuse in the same words."""
    from rural_plan import derive_scenario, load_scenario
    from rural_plan.errors import ScenarioError

    data = _with_newer_keys(rng, copy.deepcopy(TINY))
    path = _write_scenario(folder, data)
    changes = changes_for(rng, data)
    argv = ["derive_scenario / load_scenario", repr(changes)[:300]]
    said: dict[str, Any] = {}
    problem = ""
    cwd = os.getcwd()
    os.chdir(folder)
    try:
        base = load_scenario(path)
        for name, call in (
            ("derive", lambda: derive_scenario(base, changes)),
            ("load", lambda: load_scenario(path, changes)),
        ):
            try:
                said[name] = call()
            except ScenarioError as err:
                said[name] = _lines(err)
            except Exception:  # anything but ScenarioError escaping is a failure
                problem = f"exception escaped {name}:\n{traceback.format_exc()}"
                break
    finally:
        os.chdir(cwd)
    if not problem:
        a, b = said["derive"], said["load"]
        if isinstance(a, list) or isinstance(b, list):
            if a != b:
                problem = f"derive and load disagree:\n derive: {a!r:.600}\n load: {b!r:.600}"
        elif a.model_dump(exclude={"source_path"}) != b.model_dump(exclude={"source_path"}):
            problem = "derive and load give different scenarios"
    refused = isinstance(said.get("load"), list)
    return Outcome("python API (derive / load)", argv, 2 if refused else 0, "", 0.0, problem)


def _api_outcome(rng: random.Random, folder: Path) -> Outcome:
    t0 = time.perf_counter()
    outcome = api_case(rng, folder)
    outcome.seconds = time.perf_counter() - t0
    return outcome


# --- the harness ------------------------------------------------------------------------------

ENTRY_POINTS: dict[str, Callable[[random.Random, Path], Case]] = {
    "scenario (validate)": lambda rng, f: scenario_case(rng, f, "validate"),
    "scenario (run)": lambda rng, f: scenario_case(rng, f, "run"),
    "vector layers (validate)": lambda rng, f: layer_case(rng, f, "validate"),
    "vector layers (run)": lambda rng, f: layer_case(rng, f, "run"),
    "rasters (validate)": lambda rng, f: raster_case(rng, f, "validate"),
    "rasters (run)": lambda rng, f: raster_case(rng, f, "run"),
    "cost preset YAML (validate)": preset_case,
    "path profile JSON": profile_case,
    "place NPZ": instance_case,
    "compare folders": compare_case,
    "sweep --set": sweep_case,
    "CLI paths and flags": flags_case,
    "python API (derive / load)": _api_outcome,
}
"""Every entry point and its generator (an rng and an empty sandbox folder → a case, or
for the Python API the checked outcome itself)."""


def run_case(entry: str, rng: random.Random, root: Path) -> Outcome:
    """Generate one case of ``entry`` in a fresh sandbox under ``root`` and check it."""
    sandbox = Path(tempfile.mkdtemp(prefix="case-", dir=root))
    try:
        case = ENTRY_POINTS[entry](rng, sandbox)
        if isinstance(case, Outcome):
            return case
        return check(entry, case, sandbox)
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


@dataclass
class Counts:
    tried: int = 0
    clean: int = 0
    refused: int = 0
    tracebacks: int = 0
    hangs: int = 0
    other: int = 0
    slowest_s: float = 0.0
    failures: list[Outcome] = field(default_factory=list)

    def add(self, o: Outcome) -> None:
        self.tried += 1
        self.slowest_s = max(self.slowest_s, o.seconds)
        if not o.problem:
            self.clean += 1
            self.refused += o.code == 2
            return
        self.failures.append(o)
        if o.hang:
            self.hangs += 1
        elif o.traceback:
            self.tracebacks += 1
        else:
            self.other += 1


def fuzz(n: int, seed: int, entries: list[str] | None = None) -> dict[str, Counts]:
    rng = random.Random(seed)
    counts = {e: Counts() for e in (entries or ENTRY_POINTS)}
    with tempfile.TemporaryDirectory(prefix="rural-plan-fuzz-") as tmp:
        for entry in counts:
            for _ in range(n):
                counts[entry].add(run_case(entry, random.Random(rng.random()), Path(tmp)))
    return counts


def table(counts: dict[str, Counts]) -> str:
    head = (
        f"{'entry point':<26} {'tried':>6} {'clean':>6} {'refused':>8} {'traceback':>9} "
        f"{'hang':>5} {'other':>6} {'slowest':>8}"
    )
    lines = [head]
    for entry, c in counts.items():
        lines.append(
            f"{entry:<26} {c.tried:>6} {c.clean:>6} {c.refused:>8} {c.tracebacks:>9} {c.hangs:>5} "
            f"{c.other:>6} {c.slowest_s:>7.1f}s"
        )
    return "\n".join(lines)


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=50, help="inputs per entry point (default 50)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--only", action="append", choices=list(ENTRY_POINTS), help="entry points")
    args = p.parse_args(argv)
    cache = None
    if "RURAL_PLAN_CACHE_DIR" not in os.environ:  # a cache of its own, removed at the end
        cache = tempfile.mkdtemp(prefix="rural-plan-fuzz-cache-")
        os.environ["RURAL_PLAN_CACHE_DIR"] = cache
    t0 = time.perf_counter()
    try:
        counts = fuzz(args.n, args.seed, args.only)
    finally:
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
    print(table(counts))
    print(f"({time.perf_counter() - t0:.0f} s)")
    for c in counts.values():
        for o in c.failures[:3]:
            print(f"FAIL {o.entry}: {o.argv}\n  {o.problem.strip().splitlines()[-1][:400]}")
    return 1 if any(c.failures for c in counts.values()) else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(_main())
