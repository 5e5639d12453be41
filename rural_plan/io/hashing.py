"""Content hashes: of input files (provenance) and of arrays (cache and memo keys)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np


def sha256_file(path: Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_bytes):
            h.update(chunk)
    return h.hexdigest()


def key_of(*parts, prefix: str = "") -> str:
    """A hex SHA-256 key over ``prefix`` then arrays, numbers and strings (arrays by
    dtype, shape and bytes; anything else by its repr)."""
    h = hashlib.sha256(prefix.encode())
    for p in parts:
        if isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(f"|{a.dtype.str}{a.shape}".encode())
            h.update(a.tobytes())
        else:
            h.update(f"|{p!r}".encode())
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes (used for generated inputs such as the demo region)."""
    return hashlib.sha256(data).hexdigest()
