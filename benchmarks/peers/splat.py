"""SPLAT! 1.4.2 (J. A. Magliacane, KD2BD; the Debian package ``splat``), driven as its users
drive it: ``srtm2sdf-hd`` converts a 1" SRTM ``.hgt`` tile into SPLAT!'s text terrain
(``.sdf``) once, then ``splat-hd -t site.qth -L H_RX -R RADIUS -metric -olditm`` draws one
site's path-loss map over it, with ``-ano`` writing every point's loss as text.

SPLAT!'s default model is ITWOM 3.0; ``-olditm`` selects the Longley-Rice ITM it has always
carried (NTIA's ITM 1.2.2 in C), run with mdvar 12 (mobile, no location variability), time
= its "fraction of time", situation = its "fraction of situations", location 50 %, and
N_s scaled from its "atmospheric bending constant" by the mean height of the profile, as
rural_plan's ITM does. The site, antenna heights and ITM parameters go in a ``.qth`` and
an ``.lrp`` file (longitudes in degrees west, 0-360).

Run the peer in a scratch folder: SPLAT! writes its reports beside the ``.qth``.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SPLAT = "splat-hd"
SRTM2SDF = "srtm2sdf-hd"


def missing() -> str | None:
    """Why the peer cannot run here (None: it can)."""
    for tool in (SPLAT, SRTM2SDF):
        if shutil.which(tool) is None:
            return f"{tool} not found (Debian: apt-get install splat)"
    return None


def _version() -> str:
    out = subprocess.run([SPLAT], capture_output=True, text=True, check=False)
    found = re.search(r"SPLAT! HD v[0-9.]+", out.stdout + out.stderr)
    return found.group(0) if found else "SPLAT! HD"


@dataclass(frozen=True)
class SplatTerrain:
    folder: Path
    seconds: float
    """srtm2sdf-hd's conversion of the tile (done once, not counted per site)."""


def convert_tile(hgt: Path, folder: Path) -> SplatTerrain:
    """``srtm2sdf-hd`` on a 1" SRTM tile (``.hgt`` or a ``.zip`` holding one) into
    ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    hgt = Path(hgt)
    if hgt.suffix.lower() == ".zip":
        with zipfile.ZipFile(hgt) as zf:
            name = next(n for n in zf.namelist() if n.lower().endswith(".hgt"))
            target = folder / Path(name).name
            target.write_bytes(zf.read(name))
        hgt = target
    elif hgt.parent != folder:
        shutil.copy(hgt, folder / hgt.name)
        hgt = folder / hgt.name
    t0 = time.perf_counter()
    subprocess.run([SRTM2SDF, hgt.name], cwd=folder, check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    hgt.unlink()
    return SplatTerrain(folder, seconds)


@dataclass(frozen=True)
class SplatSite:
    lat: np.ndarray
    """Latitude of each point SPLAT! evaluated [degrees]."""
    lon: np.ndarray
    """Longitude [degrees east]."""
    loss_db: np.ndarray
    """ITM path loss it reports there [dB]."""
    seconds: float
    """Wall time of the whole ``splat-hd`` run: reading its terrain, the map, the files."""
    cpu_seconds: float
    """Its CPU time (user + system)."""
    version: str


def run_site(
    terrain: SplatTerrain,
    work: Path,
    *,
    lon: float,
    lat: float,
    h_tx_m: float,
    h_rx_m: float,
    f_mhz: float,
    radius_km: float,
    epsilon: float,
    sigma_s_per_m: float,
    n0: float,
    climate: int,
    vertical: bool,
    situation_pct: float,
    time_pct: float,
) -> SplatSite:
    """One ``splat-hd -L`` path-loss map with ITM (``-olditm``), its ``-ano`` points read
    back. ``work`` receives the .qth / .lrp and SPLAT!'s outputs."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "site.qth").write_text(f"site\n{lat:.7f}\n{(360.0 - lon) % 360.0:.7f}\n{h_tx_m:g}m\n")
    (work / "site.lrp").write_text(
        f"{epsilon:g} ; Earth Dielectric Constant (Relative permittivity)\n"
        f"{sigma_s_per_m:g} ; Earth Conductivity (Siemens per meter)\n"
        f"{n0:g} ; Atmospheric Bending Constant (N-units)\n"
        f"{f_mhz:g} ; Frequency in MHz (20 MHz to 20 GHz)\n"
        f"{climate:d} ; Radio Climate\n"
        f"{int(vertical):d} ; Polarization (0 = Horizontal, 1 = Vertical)\n"
        f"{situation_pct / 100:g} ; Fraction of situations\n"
        f"{time_pct / 100:g} ; Fraction of time\n"
        "0 ; ERP in watts (0: path loss)\n"
    )
    argv = [SPLAT, "-t", "site.qth", "-L", f"{h_rx_m:g}", "-R", f"{radius_km:g}", "-metric"]
    argv += ["-olditm", "-d", str(terrain.folder), "-o", "map.ppm", "-ano", "loss.ano", "-N"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, cwd=work, check=True, capture_output=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lat_, lon_w, loss = read_ano(work / "loss.ano")
    return SplatSite(lat_, (360.0 - lon_w + 180.0) % 360.0 - 180.0, loss, seconds, cpu, _version())


def read_ano(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(latitude, longitude west, loss [dB]) of a ``-ano`` file: two header lines, then
    ``lat, lon_west, azimuth, elevation_angle, loss`` per point (`` *`` after the loss
    marks a point without line of sight)."""
    rows = []
    with open(path) as f:
        for i, line in enumerate(f):
            if i < 2 or not line.strip():
                continue
            parts = line.split(",")
            rows.append((float(parts[0]), float(parts[1]), float(parts[4].split()[0])))
    a = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return a[:, 0], a[:, 1], a[:, 2]


def threads_env(threads: int) -> dict[str, str]:
    """An environment running numba (rural_plan) on ``threads`` threads."""
    return os.environ | {"NUMBA_NUM_THREADS": str(threads)}
