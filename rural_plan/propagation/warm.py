"""Compile (or load from numba's cache) the propagation kernels a run uses, on tiny inputs.

The radial sweep is compiled per model (:func:`~._radial.model_sweep`): a run compiles
its own model only, seconds rather than the minute every model takes together. The
arguments below have the types :mod:`.point_to_area` passes, so the run itself finds
every kernel compiled.
"""

from __future__ import annotations

import numpy as np

from rural_plan._sparse import sort_row_segments
from rural_plan.propagation._radial import covered_cells, model_site_sweep, model_sweep
from rural_plan.propagation.models import get_model

COMPILE_S = {"fspl-knife-edge": 17.0, "fspl-los": 17.0, "free-space": 15.0, "itm": 29.0}
"""About how long [s] compiling the stage takes for a model on 2 idle cores (measured at
load 8 on 2 cores, scaled by the 0.43 the whole-model sweep took idle / at load 8);
models not listed: :data:`DEFAULT_S`."""
DEFAULT_S = 25.0


_SAMPLE_PARAMS = {
    "itm": (301.0, 1.0, 15.0, 0.005, 5.0, 12.0, 50.0, 50.0, 50.0),
    "3gpp-rma": (5.0, 20.0),
}
"""Plausible model parameters for the warm-up (others: ones, or none)."""


def compile_estimate_s(model: str) -> float:
    """About how long compiling the stage takes for ``model`` on an empty cache [s]."""
    return COMPILE_S.get(model, DEFAULT_S)


def kernels(model: str) -> tuple:
    """The kernels a run of ``model`` calls from Python (to ask the cache about)."""
    code = get_model(model).code
    return (model_sweep(code), model_site_sweep(code), covered_cells, sort_row_segments)


def warm_up(model: str) -> None:
    """The sweeps of ``model`` (a name of the models registry: many sites, and one site
    for the best-server field), the coverage count and the row sort, once each."""
    one_i = np.zeros(1, dtype=np.int64)
    one_f = np.ones(1)
    windows = np.zeros((1, 3, 3), dtype=np.float32)
    params = np.array(_SAMPLE_PARAMS.get(model, (1.0,) * get_model(model).n_params))
    model_sweep(get_model(model).code)(
        np.zeros((8, 8)),
        one_i + 4,
        one_i + 4,
        np.array([0, 1]),
        1,
        30.0,
        30.0,
        one_f,
        1.5,
        900.0,
        4 / 3,
        params,
        one_f * np.inf,
        windows,
    )
    counts = np.zeros(1, dtype=np.int64)
    demand = np.zeros((8, 8), dtype=np.int64)
    patterns = np.zeros((1, 3, 3), dtype=np.float32)
    extra = np.zeros(1)
    args = (windows, one_i + 4, one_i + 4, one_f * 200, one_i, patterns, demand, extra)
    covered_cells(*args, True, counts, one_i)
    sort_row_segments(np.array([0, 1]), np.zeros(1, dtype=np.int64))
    warm_site_window(model)


def warm_site_window(model: str = "itm") -> None:
    """The one-site sweep of ``model`` alone (the best-server field; ``rural-plan
    coverage``, which reports its compile time apart)."""
    windows = np.empty((1, 3, 3), dtype=np.float32)
    params = np.array(_SAMPLE_PARAMS.get(model, (1.0,) * get_model(model).n_params))
    model_site_sweep(get_model(model).code)(
        np.zeros((8, 8)), 4, 4, 1, 30.0, 30.0, np.ones(1), 1.5, 900.0, 4 / 3, params, windows
    )
