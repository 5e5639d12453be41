"""NPZ archives (NumPy's zip of ``.npy`` arrays) read without trusting them.

Before any array is allocated, every one is checked from what the archive *declares*:
its ``.npy`` header (dtype, shape) against the zip's own record of the member's size (a
header claiming 745 GiB over a few bytes of data is a lie, and refused), and the sum of
the declared sizes against a limit (a 4 MB zip bomb inflating to 4 GiB is refused, not
inflated). Only numeric, one-dimensional arrays of the expected kind are read, never
pickled objects. The file must be a regular file (a named pipe would block forever).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rural_plan.errors import InputFileError
from rural_plan.scenario.files import MB, UnusableFile, open_regular

_DAMAGED = (
    ValueError,
    OSError,
    EOFError,
    SyntaxError,
    NotImplementedError,  # "zip file version 15.9": a damaged header
    zipfile.BadZipFile,
    zlib.error,  # a damaged deflate stream
)
"""What reading a damaged or forged archive raises (besides what it says of itself)."""

INTEGER = "integer"
NUMBER = "number"
_KINDS = {INTEGER: "iu", NUMBER: "iuf"}
_KIND_WORDS = {INTEGER: "whole numbers (an integer dtype)", NUMBER: "real numbers"}


@dataclass(frozen=True)
class Declared:
    """What an archive member says it holds."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    header_bytes: int
    member_bytes: int

    @property
    def data_bytes(self) -> int:
        n = 1
        for s in self.shape:
            n *= int(s)
        return n * self.dtype.itemsize


MAX_INFLATION = 500.0
"""Most an archive may inflate (declared array bytes over compressed bytes) once its
arrays exceed ``INFLATION_FLOOR_BYTES``: real instances compress a few times (deflate
cannot exceed about 1032:1, which is what zip bombs use)."""
INFLATION_FLOOR_BYTES = 64 * MB


def _size(n: float) -> str:
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GiB"
    return f"{n / MB:,.1f} MB" if n >= MB else f"{int(n):,} bytes"


def _declared(path: Path, zf: zipfile.ZipFile, name: str) -> Declared:
    info = zf.getinfo(f"{name}.npy")
    try:
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version in ((2, 0), (3, 0)):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
            header = f.tell()
    except _DAMAGED as err:
        raise InputFileError(f"{path}: array {name!r}: not a readable .npy array ({err})") from None
    return Declared(name, np.dtype(dtype), tuple(shape), bool(fortran), header, info.file_size)


def read_arrays(
    path: Path,
    kinds: Mapping[str, str],
    *,
    required: Iterable[str],
    max_bytes: float | None,
    limit_note: str = "",
    max_file_bytes: int = 64 * 2**30,
) -> dict[str, np.ndarray]:
    """The one-dimensional arrays ``kinds`` names (``INTEGER`` or ``NUMBER``) that the NPZ
    at ``path`` holds; every name in ``required`` must be there. Problems raise
    :class:`~rural_plan.errors.InputFileError` naming the file and the array, before
    anything large is allocated: ``max_bytes`` bounds the declared size of all of them
    (``limit_note`` says where that bound comes from)."""
    try:
        fd = open_regular(path, limit=max_file_bytes)
    except UnusableFile as err:
        raise InputFileError(f"{path}: {err.problem}") from None
    with os.fdopen(fd, "rb") as f:
        try:
            zf = zipfile.ZipFile(f)
        except _DAMAGED as err:
            raise InputFileError(
                f"{path}: not a readable NPZ instance (not a zip archive, or truncated: {err})"
            ) from None
        with zf:
            present = {n.removesuffix(".npy") for n in zf.namelist() if n.endswith(".npy")}
            missing = [k for k in required if k not in present]
            if missing:
                raise InputFileError(
                    f"{path}: instance lacks array(s) {', '.join(missing)} "
                    f"(needs {', '.join(required)})"
                )
            declared = [_declared(path, zf, name) for name in kinds if name in present]
            for d in declared:
                _check_declared(path, d, kinds[d.name])
            total = sum(d.data_bytes for d in declared)
            if max_bytes is not None and total > max_bytes:
                biggest = max(declared, key=lambda d: d.data_bytes)
                raise InputFileError(
                    f"{path}: its arrays declare {_size(total)} in all ({biggest.name} "
                    f"{biggest.shape[0]:,} values, {_size(biggest.data_bytes)}), more than the "
                    f"{_size(max_bytes)} this run may use{limit_note}; a zip bomb, or an "
                    "instance for a larger machine (--max-memory-gb)"
                )
            packed = sum(zf.getinfo(f"{d.name}.npy").compress_size for d in declared)
            if total > INFLATION_FLOOR_BYTES and total > MAX_INFLATION * max(packed, 1):
                raise InputFileError(
                    f"{path}: its arrays declare {_size(total)} packed into "
                    f"{_size(packed)} ({total / max(packed, 1):,.0f}:1); an archive that "
                    f"inflates more than {MAX_INFLATION:,.0f}:1 is a zip bomb, not an instance"
                )
            out = {}
            for d in declared:
                try:
                    with zf.open(f"{d.name}.npy") as member:
                        out[d.name] = np.lib.format.read_array(member, allow_pickle=False)
                except _DAMAGED as err:
                    raise InputFileError(
                        f"{path}: array {d.name!r} cannot be read; the file may be truncated "
                        f"or damaged ({err})"
                    ) from None
    return out


def _check_declared(path: Path, d: Declared, kind: str) -> None:
    where = f"{path}: array {d.name!r}"
    if d.dtype.hasobject or d.dtype.kind not in "biufc":
        raise InputFileError(f"{where}: holds {d.dtype} values; expected {_KIND_WORDS[kind]}")
    if d.dtype.kind not in _KINDS[kind]:
        hint = (
            " (fractions would be cut off: whole numbers are indices)"
            if kind == INTEGER and d.dtype.kind == "f"
            else ""
        )
        raise InputFileError(f"{where}: holds {d.dtype} values; expected {_KIND_WORDS[kind]}{hint}")
    if len(d.shape) != 1:
        raise InputFileError(
            f"{where}: has shape {d.shape}; expected one dimension (a flat list of values)"
        )
    if d.member_bytes != d.header_bytes + d.data_bytes:
        raise InputFileError(
            f"{where}: its header declares {d.shape[0]:,} values ({_size(d.data_bytes)}) but "
            f"the archive holds {_size(max(0, d.member_bytes - d.header_bytes))} of data; "
            "the file is damaged or forged"
        )
