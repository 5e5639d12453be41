"""Results folders written atomically, or not at all.

Everything is written into a temporary folder beside the target and renamed into
place once complete; a failure removes the temporary folder, and an existing
results folder is only replaced after the new one is complete.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
from pathlib import Path

from rural_plan.errors import OutputError, RuralPlanError

log = logging.getLogger(__name__)

MARKER = "summary.json"
"""A folder holding this file was written by rural_plan (and may be replaced)."""
MARKERS = (MARKER, "diagnosis.json")
"""Files that mark a folder as rural_plan's: a plan's results or a diagnosis."""


def check_output_dir(out_dir: Path, *, overwrite: bool) -> Path:
    """Refuse an output path that is a file, an unwritable folder, or existing results.

    Missing parent folders are fine (they are made when the results are written).
    Temporary folders of this target left by killed runs are cleaned up first (see
    :func:`clean_stale_temporaries`).
    """
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output path is a file, not a folder; choose a folder for -o")
    parent = out_dir.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the nearest folder that exists: it holds the new ones
    if not parent.is_dir():
        raise OutputError(
            f"{parent}: is a file, so the output folder {out_dir} cannot be made under it; "
            "choose another -o"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{parent}: not writable (the results are written beside {out_dir.name} first); "
            "choose another -o"
        )
    clean_stale_temporaries(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise OutputError(
            f"{out_dir}: folder exists and is not empty; choose another -o or pass --overwrite"
        )
    if (
        out_dir.exists()
        and overwrite
        and any(out_dir.iterdir())
        and not any((out_dir / m).exists() for m in MARKERS)
    ):
        raise OutputError(
            f"{out_dir}: --overwrite only replaces a rural_plan results folder (with {MARKER}); "
            "this folder holds other files"
        )
    return out_dir


_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def _temporary_name(out_dir: Path, kind: str) -> str:
    """``.NAME.partial-PID-HOST-`` (or ``.old-``): the writer's process and host are in the
    name, so a later run can tell a folder left by a killed run from one being written."""
    return f".{out_dir.name}.{kind}-{os.getpid()}-{_HOST}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM), or cannot tell: treat as alive
        return True
    return True


def clean_stale_temporaries(out_dir: Path) -> list[Path]:
    """Remove the temporary folders of ``out_dir`` that runs killed before finishing left
    behind; returns them.

    Only folders named ``.NAME.partial-PID-HOST-*`` / ``.NAME.old-PID-HOST-*`` of this
    target, written on this host by a process that no longer runs, are touched. A
    ``.old-`` folder holds the previous results while they are swapped out (only where
    the system cannot swap two folders in one step): when ``out_dir`` is missing it is put
    back in place, otherwise removed.
    """
    out_dir = Path(out_dir).absolute()
    pattern = re.compile(
        rf"^\.{re.escape(out_dir.name)}\.(partial|old)-(\d+)-{re.escape(_HOST)}-[A-Za-z0-9_]+$"
    )
    try:
        entries = sorted(out_dir.parent.iterdir())
    except OSError:
        return []
    removed = []
    for path in entries:
        m = pattern.match(path.name)
        if not m or path.is_symlink() or not path.is_dir() or _pid_alive(int(m.group(2))):
            continue
        try:
            if m.group(1) == "old" and not out_dir.exists():
                os.rename(path, out_dir)
                log.warning("put back the previous results %s (a run was killed)", out_dir)
                continue
            shutil.rmtree(path)
        except OSError as err:
            log.warning("cannot remove %s left by a killed run: %s", path, err)
            continue
        log.info("removed %s, left by a run that was killed", path)
        removed.append(path)
    return removed


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    when the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def write_folder(out_dir: Path, fill, *, overwrite: bool = False) -> Path:
    """Run ``fill(folder)`` on a temporary folder beside ``out_dir`` and rename it into
    place when it returns: readers never see a half-written results folder, and an
    existing one is replaced only once the new one is complete.

    The temporary folder is ``.NAME.partial-PID-HOST-XXXX``; ``fill`` should write the
    marker file (``summary.json``) last, so a folder holding it is complete. An existing
    folder is swapped with the new one in one step where the system can (Linux), so a
    run killed at any moment leaves either the previous results or the new ones in
    place. What a killed run leaves beside them is cleaned up by the next run.
    """
    out_dir = check_output_dir(out_dir, overwrite=overwrite)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_temporary_name(out_dir, "partial"), dir=out_dir.parent))
    except OSError as err:
        raise OutputError(f"{out_dir}: cannot create the output folder ({err.strerror})") from err
    try:
        try:
            fill(tmp)
            _move_into_place(tmp, out_dir)
        except RuralPlanError:
            raise
        except OSError as err:  # disk full, permissions changed under us, ...
            raise OutputError(f"{out_dir}: cannot write the results ({err})") from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("results written to %s", out_dir)
    return out_dir


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    if _exchange(tmp, out_dir):  # tmp now holds the previous results
        if tmp.is_symlink():  # out_dir was a link to a folder: leave what it points to
            tmp.unlink()
            return
        for marker in MARKERS:  # first, so they no longer look like a complete result
            (tmp / marker).unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = tmp.with_name(tmp.name.replace(".partial-", ".old-", 1))
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except BaseException:
        os.rename(old, out_dir)  # put the previous results back
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_file_atomic(path: Path, write) -> Path:
    """Run ``write(file)`` on a temporary binary file beside ``path`` and rename it into
    place when it returns: ``path`` is either absent, its previous content, or complete."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path}: is a folder; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=folder)
    except OSError as err:
        raise OutputError(f"{path}: cannot write ({err.strerror or err})") from err
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
