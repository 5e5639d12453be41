"""Results folders written atomically, or not at all, and never over a user's files.

Everything is written into a temporary folder beside the target and renamed into place
once complete; a failure removes the temporary folder, and an existing results folder is
only replaced after the new one is complete.

Three rules keep a user's files safe:

* **Claim.** A run claims its target before it starts (an exclusive lock on
  ``.NAME.lock`` beside it, held until the results are in place): of two runs writing the
  same folder at once exactly one proceeds, the other is refused.
* **Manifest.** Every folder rural_plan writes holds ``manifest.json``: each file it wrote,
  with its size and SHA-256. ``--overwrite`` replaces only a folder whose manifest lists
  every file in it, unchanged; a folder holding anything else (the user's notes, an
  edited table, a scenario, a ``.git``) is refused, naming what it holds.
* **Protected paths.** A folder that holds the scenario, one of its input files or the
  current working folder is never replaced.

When the old folder is swapped out, only the files its manifest lists are deleted; anything
that appeared in it since the check is kept (the folder is renamed aside and named in a
warning).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from rural_plan._version import __version__
from rural_plan.errors import OutputError, RuralPlanError

log = logging.getLogger(__name__)

MARKER = "summary.json"
"""A plan's results folder holding this file is complete (it is written last)."""
MARKERS = (MARKER, "diagnosis.json")
"""Files that mark a folder as complete: a plan's results or a diagnosis."""
MANIFEST = "manifest.json"
"""Every file rural_plan wrote in the folder, with its size and SHA-256."""
LEGACY_OUTPUTS = frozenset(
    {
        "summary.json",
        "provenance.json",
        "sites.geojson",
        "links.geojson",
        "sites.csv",
        "costs.csv",
        "budget_curve.csv",
        "coverage.tif",
        "report.html",
        "pois.csv",
        "sensitivity.csv",
        "sensitivity_montecarlo.csv",
        "diagnosis.json",
        "clusters.csv",
        "clusters.geojson",
        "diagnosis.png",
    }
)
"""What results folders of rural_plan versions before the manifest held: such a folder is
replaced only when it holds nothing else and its marker names rural_plan."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(folder: Path) -> dict:
    """Write ``manifest.json`` listing every file now in ``folder`` (sorted; no time
    stamps, so the same outputs give the same manifest)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != MANIFEST:
            rel = path.relative_to(folder).as_posix()
            files[rel] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
    manifest = {"written_by": "rural_plan", "rural_plan_version": __version__, "files": files}
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return manifest


def _read_manifest(folder: Path) -> dict | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not (isinstance(data, dict) and data.get("written_by") == "rural_plan"):
        return None
    files = data.get("files")
    return data if isinstance(files, dict) else None


def _entries(folder: Path) -> list[str]:
    """Every file and folder below ``folder``, as relative POSIX paths (links not followed)."""
    out = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        out += [(rel / d).as_posix() + "/" for d in dirs]
        out += [(rel / f).as_posix() for f in files]
    return sorted(x.removeprefix("./") for x in out)


def _legacy_marker(folder: Path) -> bool:
    for marker in MARKERS:
        try:
            data = json.loads((folder / marker).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and "rural_plan_version" in data:
            return True
    return False


def foreign_files(folder: Path) -> list[str]:
    """What in ``folder`` rural_plan did not write, or what was changed since it wrote
    it (empty: the folder may be replaced). A folder without a manifest counts as
    rural_plan's only when it holds nothing but the outputs of earlier versions and a
    marker naming rural_plan."""
    entries = _entries(folder)
    manifest = _read_manifest(folder)
    if manifest is None:
        if entries and set(entries) <= LEGACY_OUTPUTS and _legacy_marker(folder):
            return []
        return [e for e in entries if e not in LEGACY_OUTPUTS] or (
            [f"{MANIFEST} (missing: not a folder rural_plan wrote)"] if entries else []
        )
    listed = manifest["files"]
    foreign = []
    for e in entries:
        if e == MANIFEST or (e.endswith("/") and any(k.startswith(e) for k in listed)):
            continue
        if e not in listed:
            foreign.append(e)
            continue
        meta = listed[e]
        path = folder / e
        if path.is_symlink() or not isinstance(meta, dict):
            foreign.append(f"{e} (changed)")
        elif path.stat().st_size != meta.get("bytes") or _sha256(path) != meta.get("sha256"):
            foreign.append(f"{e} (changed since rural_plan wrote it)")
    return foreign


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _list(names: list[str], most: int = 5) -> str:
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def check_output_dir(out_dir: Path, *, overwrite: bool, protect: Iterable[Path] = ()) -> Path:
    """Refuse an output path that cannot be written or must not be replaced: a file, an
    unwritable parent, a folder that is not empty (without ``overwrite``), and, with
    ``overwrite``, a folder holding files rural_plan did not write (or changed since),
    the scenario or an input (``protect``), or the current working folder.

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
    if not out_dir.exists() or not any(out_dir.iterdir()):
        return out_dir
    if not overwrite:
        raise OutputError(
            f"{out_dir}: folder exists and is not empty; choose another -o or pass --overwrite"
        )
    _check_replaceable(out_dir, protect)
    return out_dir


def _check_replaceable(out_dir: Path, protect: Iterable[Path]) -> None:
    inside = [str(p) for p in protect if p is not None and _inside(Path(p), out_dir)]
    if inside:
        raise OutputError(
            f"{out_dir}: holds the scenario or its inputs ({_list(inside)}); --overwrite never "
            "replaces such a folder: choose another -o"
        )
    if _inside(Path.cwd(), out_dir):
        raise OutputError(
            f"{out_dir}: is the current folder or holds it; --overwrite never replaces it: "
            "choose another -o"
        )
    foreign = foreign_files(out_dir)
    if foreign:
        raise OutputError(
            f"{out_dir}: --overwrite only replaces a folder rural_plan wrote, unchanged; this "
            f"one holds {_list(foreign)}: move them away or choose another -o"
        )


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


_HELD: dict[Path, int] = {}
"""Claims this process holds, by output folder, and how many times each is entered."""


class OutputClaim:
    """An exclusive claim on an output folder for the length of a run: a lock on
    ``.NAME.lock`` beside it (released by the system if the process dies). Re-entrant in
    one process; use as a context manager."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir).absolute()
        self.lock_path = self.out_dir.with_name(f".{self.out_dir.name}.lock")
        self._fd: int | None = None

    def __enter__(self) -> OutputClaim:
        if self.out_dir in _HELD:
            _HELD[self.out_dir] += 1
            return self
        self.out_dir.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise OutputError(
                    f"{self.out_dir}: another rural-plan run{holder} is writing this folder; "
                    "wait for it to finish or choose another -o"
                ) from None
            try:  # the holder before us may have removed the file: lock the one in place
                same = os.fstat(fd).st_ino == os.stat(self.lock_path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {_HOST}\n".encode())
        self._fd = fd
        _HELD[self.out_dir] = 1
        return self

    def __exit__(self, *exc) -> None:
        _HELD[self.out_dir] -= 1
        if _HELD[self.out_dir]:
            return
        del _HELD[self.out_dir]
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.lock_path)  # while still locked: no one else holds it
            os.close(self._fd)
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        pid, _, host = os.read(fd, 200).decode().strip().partition(" ")
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (process {pid} on {host})" if pid.isdigit() else ""


def claim_output_dir(
    out_dir: Path, *, overwrite: bool, protect: Iterable[Path] = ()
) -> contextlib.AbstractContextManager:
    """Check ``out_dir`` (:func:`check_output_dir`) and claim it for this run: exactly one
    of several runs writing the same folder proceeds; the others are refused at once."""
    out_dir = check_output_dir(out_dir, overwrite=overwrite, protect=protect)
    claim = OutputClaim(out_dir)
    stack = contextlib.ExitStack()
    stack.enter_context(claim)
    try:
        check_output_dir(out_dir, overwrite=overwrite, protect=protect)  # now ours: again
    except BaseException:
        stack.close()
        raise
    return stack


def write_folder(
    out_dir: Path,
    fill: Callable[[Path], None],
    *,
    overwrite: bool = False,
    protect: Iterable[Path] = (),
) -> Path:
    """Run ``fill(folder)`` on a temporary folder beside ``out_dir``, add its manifest, and
    rename it into place when it returns: readers never see a half-written results
    folder, and an existing one is replaced only once the new one is complete, only if
    rural_plan wrote it (:func:`check_output_dir`), and then only the files it wrote are
    deleted.

    The temporary folder is ``.NAME.partial-PID-HOST-XXXX``; ``fill`` should write the
    marker file (``summary.json``) last, so a folder holding it is complete. An existing
    folder is swapped with the new one in one step where the system can (Linux), so a
    run killed at any moment leaves either the previous results or the new ones in
    place. What a killed run leaves beside them is cleaned up by the next run.
    """
    protect = list(protect)
    with claim_output_dir(out_dir, overwrite=overwrite, protect=protect):
        out_dir = Path(out_dir).absolute()
        try:
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(
                tempfile.mkdtemp(prefix=_temporary_name(out_dir, "partial"), dir=out_dir.parent)
            )
        except OSError as err:
            raise OutputError(
                f"{out_dir}: cannot create the output folder ({err.strerror})"
            ) from err
        try:
            try:
                fill(tmp)
                write_manifest(tmp)
                _move_into_place(tmp, out_dir, overwrite=overwrite, protect=protect)
            except OutputError as err:  # named as the user knows it, not the temporary folder
                raise OutputError(str(err).replace(str(tmp), str(out_dir))) from err
            except RuralPlanError:
                raise
            except OSError as err:  # disk full, permissions changed under us, ...
                raise OutputError(f"{out_dir}: cannot write the results ({err})") from err
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    log.info("results written to %s", out_dir)
    return out_dir


def _move_into_place(tmp: Path, out_dir: Path, *, overwrite: bool, protect: list[Path]) -> None:
    if not out_dir.exists() or (out_dir.is_dir() and not any(out_dir.iterdir())):
        os.rename(tmp, out_dir)  # over an empty folder at most: never over files
        return
    if not overwrite:  # something appeared since the check
        raise OutputError(
            f"{out_dir}: folder exists and is not empty; choose another -o or pass --overwrite"
        )
    _check_replaceable(out_dir, protect)  # once more, at the last moment
    if _exchange(tmp, out_dir):  # tmp now holds the previous results
        if tmp.is_symlink():  # out_dir was a link to a folder: leave what it points to
            tmp.unlink()
            return
        remove_written(tmp, out_dir)
        return
    old = tmp.with_name(tmp.name.replace(".partial-", ".old-", 1))
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except BaseException:
        os.rename(old, out_dir)  # put the previous results back
        raise
    remove_written(old, out_dir)


def remove_written(old: Path, out_dir: Path) -> None:
    """Delete the files rural_plan wrote in ``old`` (a folder swapped out of ``out_dir``):
    the markers first (so it no longer looks complete), then what its manifest lists
    (or, for a folder of an earlier version, its known outputs), then the empty folders.
    Anything else stays: the folder is renamed ``NAME.kept-N`` beside ``out_dir`` and
    named in a warning."""
    manifest = _read_manifest(old)
    names = list(manifest["files"]) if manifest else sorted(LEGACY_OUTPUTS)
    for name in (*MARKERS, *names, MANIFEST):
        path = old / name
        if path.is_file() or path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
    for root, dirs, _ in sorted(os.walk(old, topdown=False), reverse=False):
        for d in dirs:
            with contextlib.suppress(OSError):
                (Path(root) / d).rmdir()
    try:
        old.rmdir()
    except OSError:
        kept = _free_name(out_dir.with_name(f"{out_dir.name}.kept"))
        with contextlib.suppress(OSError):
            os.rename(old, kept)
            old = kept
        log.warning(
            "%s: files appeared in the previous results while this run wrote the new ones; "
            "they are kept in %s",
            out_dir,
            old,
        )


def _free_name(base: Path) -> Path:
    n = 1
    while base.with_name(f"{base.name}-{n}").exists():
        n += 1
    return base.with_name(f"{base.name}-{n}")


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
