"""rural_plan: where to put light cell sites, and how many people each dollar connects.

>>> import rural_plan
>>> scenario = rural_plan.load_scenario("scenarios/demo.yaml")  # doctest: +SKIP
>>> result = rural_plan.plan(scenario)  # doctest: +SKIP
>>> result.summary["people_per_1000_usd"]  # doctest: +SKIP

The public names are imported on first use: importing the package, or a light part of
it (the scenario schema, the command line's parser), loads no numba kernels and no
geospatial stack.
"""

import logging
from typing import TYPE_CHECKING

from rural_plan._lazy import lazy_names
from rural_plan._version import __version__
from rural_plan.errors import RuralPlanError

if TYPE_CHECKING:
    from rural_plan.api import Plan, plan
    from rural_plan.scenario import Scenario, derive_scenario, load_scenario

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

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "Plan": "rural_plan.api",
        "plan": "rural_plan.api",
        "Scenario": "rural_plan.scenario",
        "derive_scenario": "rural_plan.scenario",
        "load_scenario": "rural_plan.scenario",
    },
)
