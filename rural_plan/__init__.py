"""rural_plan: where to put light cell sites, and how many people each dollar connects.

>>> import rural_plan
>>> scenario = rural_plan.load_scenario("scenarios/demo.yaml")  # doctest: +SKIP
>>> result = rural_plan.plan(scenario)  # doctest: +SKIP
>>> result.summary["people_per_1000_usd"]  # doctest: +SKIP
"""

import logging
from typing import TYPE_CHECKING

from rural_plan._version import __version__
from rural_plan.errors import RuralPlanError
from rural_plan.scenario import Scenario, derive_scenario, load_scenario

if TYPE_CHECKING:
    from rural_plan.api import Plan, plan

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Plan",
    "RuralPlanError",
    "Scenario",
    "__version__",
    "derive_scenario",
    "load_scenario",
    "plan",
]


def __getattr__(name: str):
    """``plan`` and ``Plan`` load the whole pipeline (numba, GDAL, pandas, matplotlib:
    about 2 s): imported when first used, so ``rural-plan`` starts (and answers a bad
    input, a Ctrl-C or a SIGTERM) before loading what the command does not need."""
    if name in ("Plan", "plan"):
        from rural_plan import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
