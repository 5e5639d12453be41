"""On-disk cache of point-to-area coverage, so variants of a scenario reuse propagation.

A sweep over budgets or cost presets changes nothing the radio sees; propagation is
>95 % of a plan's time. Each :func:`~rural_plan.propagation.covered_demand` result is
stored under a key that hashes everything it depends on: the terrain and land mask,
the demand cells, every option's location / height / loss budget / pattern, the radio
settings, and the propagation code itself (its source files), so a code change never
serves a stale result.

Safe with several processes: an entry is written to a unique temporary file in the
cache folder and renamed into place (atomic on POSIX); readers only ever see whole
entries. Each entry stores a SHA-256 of its arrays; a corrupt or truncated entry is
detected on read, deleted, and recomputed.

Location: ``$RURAL_PLAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/rural_plan``, else
``~/.cache/rural_plan``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from functools import cache
from pathlib import Path

import numpy as np

from rural_plan.io import hashing

log = logging.getLogger(__name__)

FORMAT = 1
"""Bumped when the entry layout changes."""


def cache_dir() -> Path:
    """Where entries live (not created until the first write)."""
    env = os.environ.get("RURAL_PLAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rural_plan"


_PACKAGE = Path(__file__).resolve().parents[1]
"""The rural_plan package folder."""

FINGERPRINT_FILES = ("units.py", "_sparse.py", "grid/grid.py")
"""Source files outside the propagation package that its results depend on (the
physical constants and free-space loss, the coverage rows' sorting, the grid's cell
geometry)."""


@cache
def code_fingerprint() -> str:
    """SHA-256 of the source files propagation results depend on: the propagation
    package and :data:`FINGERPRINT_FILES`."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        h.update(path.relative_to(here).as_posix().encode())
        h.update(path.read_bytes())
    for name in FINGERPRINT_FILES:
        h.update(name.encode())
        h.update((_PACKAGE / name).read_bytes())
    return h.hexdigest()


def key_of(*parts) -> str:
    """A hex key over arrays, numbers and strings (arrays by dtype, shape and bytes),
    salted with the entry format and the code fingerprint."""
    return hashing.key_of(*parts, prefix=f"format={FORMAT};code={code_fingerprint()}")


def _checksum(indptr: np.ndarray, indices: np.ndarray) -> str:
    h = hashlib.sha256(indptr.tobytes())
    h.update(indices.tobytes())
    return h.hexdigest()


def load(key: str, folder: Path | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(indptr, indices) stored under ``key``, or None when absent or corrupt."""
    path = (folder or cache_dir()) / f"{key}.npz"
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            indptr, indices = data["indptr"], data["indices"]
            stored = str(data["checksum"])
        if stored != _checksum(indptr, indices):
            raise ValueError("checksum mismatch")
    except (FileNotFoundError, PermissionError) as err:  # gone, or not ours: just recompute
        log.warning("propagation cache: cannot read %s (%s); recomputing", path.name, err)
        return None
    except Exception as err:  # any damage: drop the entry and recompute
        log.warning("propagation cache: corrupt entry %s (%s); recomputing", path.name, err)
        path.unlink(missing_ok=True)
        return None
    log.info("propagation cache: hit %s", path.name[:16])
    return indptr, indices


def store(key: str, indptr: np.ndarray, indices: np.ndarray, folder: Path | None = None) -> None:
    """Write an entry atomically; a failure to write only costs the reuse."""
    folder = folder or cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key[:16]}-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(
                    f,
                    indptr=indptr,
                    indices=indices,
                    checksum=np.array(_checksum(indptr, indices)),
                )
            os.replace(tmp, folder / f"{key}.npz")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        log.warning("propagation cache: could not write to %s (%s)", folder, err)
