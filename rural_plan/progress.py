"""Progress bars on the long stages (propagation, sweeps), for people at a terminal.

Off unless the CLI turns them on (:func:`enable`), and then only when stderr is a
terminal: logs, CI and notebooks get no carriage-return noise. ``-q`` keeps them off.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager

_enabled = False


def enable(on: bool = True) -> None:
    """Show progress bars from now on (when stderr is a terminal)."""
    global _enabled
    _enabled = on


class _Silent:
    def update(self, n: int = 1) -> None:
        pass


@contextmanager
def progress(total: int, desc: str, unit: str = "it"):
    """A bar of ``total`` steps; ``update(n)`` advances it. Silent when disabled."""
    if not (_enabled and sys.stderr.isatty()):
        yield _Silent()
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr) as bar:
        yield bar
