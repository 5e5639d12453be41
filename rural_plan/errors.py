"""One root exception for everything rural_plan refuses, one subclass per stage.

Each subclass also inherits the matching built-in, so ``except ValueError`` in
a caller's code keeps working (the rasterio pattern). Messages name the file,
the key or the value at fault and what would be valid; the CLI prints them as
one line and exits with status 2.
"""

from __future__ import annotations


class RuralPlanError(Exception):
    """Root of every error rural_plan raises on purpose."""


class ScenarioError(RuralPlanError, ValueError):
    """The scenario YAML is malformed, has unknown keys or out-of-range values.

    ``problems`` holds one line per problem, so a caller can show them all.
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems) if problems else [message]


class InputFileError(RuralPlanError, OSError):
    """An input file is missing, unreadable or not of the expected kind."""


class RasterError(InputFileError):
    """A raster cannot be used: not a raster, no CRS, all nodata, bad values."""


class VectorError(InputFileError):
    """A vector file (GeoJSON) cannot be used: wrong geometry type, bad coordinates."""


class GridError(RuralPlanError, ValueError):
    """Terrain and population cannot be put on one grid (no overlap, voids with `error`)."""


class PropagationError(RuralPlanError, ValueError):
    """A propagation model was asked for outside what it supports."""


class PlacementError(RuralPlanError, ValueError):
    """Placement has nothing to choose from or no feasible choice (budget too small)."""


class BackhaulError(RuralPlanError, ValueError):
    """A backhaul design cannot be made (unknown type, unreachable site)."""


class CostingError(RuralPlanError, ValueError):
    """A cost preset is missing, incomplete or names an unknown type."""


class ExecutorError(RuralPlanError, RuntimeError):
    """The chosen executor cannot run the plan: dask.distributed not installed, a
    scheduler that cannot be reached or has no workers, workers with other rural_plan
    code, chunks that keep failing."""


class OutputError(RuralPlanError, OSError):
    """The output folder cannot be written (exists, is a file, not writable)."""


class ResourceError(RuralPlanError, MemoryError):
    """The plan would need more than the machine has (its estimated memory)."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, as ``rural-plan``'s signal handler raises it: a ``KeyboardInterrupt`` (every
    ``except KeyboardInterrupt`` still sees it), but not that exact class. CPython flags an
    exception of exactly that class leaving code it runs from a string (``exec`` of
    source, as numba and the standard library do to build functions) as an unhandled
    Ctrl-C, even when ``main`` catches it later; the interpreter then ended the process by
    SIGINT (status -2) after ``main`` had said "interrupted" and returned 130 (3 of 20
    stops 0.5-1 s into ``place``; 0 of 44 with this class). A subclass is not flagged."""


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM: a timeout, ``docker stop``, a scheduler).

    Raised by ``rural-plan``'s signal handler and unwound like Ctrl-C
    (``KeyboardInterrupt``): every ``with`` and ``finally`` runs, so a results folder
    being written is removed and its claim released. Not a :class:`RuralPlanError`
    (nothing was refused), and a ``BaseException`` so that no ``except Exception``
    swallows it.
    """
