"""Files a user names: what a path is, and reading one safely.

Every file rural_plan reads on a user's word (the scenario and the files it extends, input
layers, cost presets, profiles, instances, results folders' summaries) goes through here:
only a *regular* file is read (a folder, a named pipe, which would block forever, or a
device such as ``/dev/zero``, which never ends, is refused with what it is), and never
more than a stated number of bytes, checked before reading.

Errors are :class:`UnusableFile` carrying the problem without the path; each caller
raises its own error naming the path (or the scenario key) and the problem.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

MB = 2**20

MAX_TEXT_BYTES = 64 * MB
"""A scenario YAML, a cost preset, a JSON profile or summary: far more than any real one."""


class UnusableFile(Exception):
    """A path that does not name a readable regular file (``problem`` says why)."""

    def __init__(self, problem: str):
        super().__init__(problem)
        self.problem = problem


def _kind(mode: int) -> str | None:
    """What a non-regular file is, as the end of a sentence (None: a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a named pipe (FIFO), not a regular file; give the file itself"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file; give the file itself"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is not a regular file"


def _os_problem(err: OSError, path: str | os.PathLike[str]) -> str:
    if err.errno == errno.ENOENT:
        if os.path.islink(path):
            return "file not found (a symbolic link to a file that does not exist)"
        return "file not found"
    if err.errno == errno.ENOTDIR:
        return "file not found (a part of the path is a file, not a folder)"
    if err.errno == errno.ELOOP:
        return "is a loop of symbolic links (too many levels of symbolic links)"
    if err.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read (permission denied)"
    return f"cannot be used as a file path ({err.strerror or err})"


def path_problem(path: str | os.PathLike[str]) -> str | None:
    """None when ``path`` names a regular file (symbolic links followed); otherwise what
    is wrong with it: 'file not found', 'is a folder, not a file', 'is a named pipe ...',
    'is a loop of symbolic links ...', 'cannot be used as a file path (...)'."""
    try:
        st = os.stat(path)
    except OSError as err:
        return _os_problem(err, path)
    except ValueError:  # an embedded NUL character
        return "cannot be used as a file path (it holds a NUL character)"
    return _kind(st.st_mode)


def _size(n: int) -> str:
    return f"{n / MB:,.1f} MB" if n >= MB else f"{n:,} bytes"


def open_regular(path: str | os.PathLike[str], *, limit: int | None = None) -> int:
    """An open file descriptor (read only) on the regular file ``path``, whose size is at
    most ``limit`` bytes; :class:`UnusableFile` otherwise. The file is opened without
    blocking (a named pipe with no writer) and checked once open (no race)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise UnusableFile(_os_problem(err, path)) from None
    except ValueError:
        raise UnusableFile("cannot be used as a file path (it holds a NUL character)") from None
    try:
        st = os.fstat(fd)
        kind = _kind(st.st_mode)
        if kind is not None:
            raise UnusableFile(kind)
        if limit is not None and st.st_size > limit:
            raise UnusableFile(
                f"is {_size(st.st_size)}, more than the {_size(limit)} such a file may hold"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike[str], *, limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them (see
    :func:`open_regular`)."""
    fd = open_regular(path, limit=limit)
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(limit + 1)
        except OSError as err:
            raise UnusableFile(f"cannot be read ({err.strerror or err})") from None
    if len(data) > limit:  # grew while being read
        raise UnusableFile(f"is more than the {_size(limit)} such a file may hold")
    return data


def read_text(path: str | os.PathLike[str], *, limit: int = MAX_TEXT_BYTES) -> str:
    """The UTF-8 text of the regular file ``path`` (a leading byte-order mark dropped);
    :class:`UnusableFile` when it is not a regular file, too large or not UTF-8."""
    data = read_regular(path, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise UnusableFile(f"cannot be read as UTF-8 text ({err})") from None


def absolute(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute and resolved where it can be (a loop of symbolic links, or a
    name the system refuses, is left unresolved for :func:`path_problem` to name)."""
    p = Path(path)
    try:
        return p.resolve()
    except (OSError, RuntimeError, ValueError):  # RuntimeError: a symlink loop (3.11)
        return p.absolute()
