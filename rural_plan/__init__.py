"""rural_plan: where to put light cell sites, and how many people each dollar connects.

>>> import rural_plan
>>> scenario = rural_plan.load_scenario("scenarios/demo.yaml")  # doctest: +SKIP
>>> result = rural_plan.plan(scenario)  # doctest: +SKIP
>>> result.summary["people_per_1000_usd"]  # doctest: +SKIP
"""

import logging

from rural_plan._version import __version__
from rural_plan.api import Plan, plan
from rural_plan.errors import RuralPlanError
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
