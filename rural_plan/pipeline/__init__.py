"""The pipeline: the recipe that calls each stage in order (:mod:`.recipe`), what it
produces (:mod:`.plan`), the placement-backhaul fit (:mod:`.fit`), the headline numbers
(:mod:`.summary`), re-planning on computed coverage (:mod:`.reprice`), and where
propagation runs (:mod:`.executors`), its compilation (:mod:`.jit`) and the memory guard
(:mod:`.limits`).

The names below are imported on first use: ``rural-plan place`` reads the memory guard
(:mod:`.limits`) without loading every stage the recipe calls."""

import sys
import types
from typing import TYPE_CHECKING

from rural_plan._lazy import lazy_names

if TYPE_CHECKING:
    from rural_plan.pipeline.plan import Plan, Prepared
    from rural_plan.pipeline.recipe import finish, plan, prepare
    from rural_plan.pipeline.reprice import COST_ONLY_KEYS, reprice
    from rural_plan.pipeline.summary import Summary

__all__ = ["COST_ONLY_KEYS", "Plan", "Prepared", "Summary", "finish", "plan", "prepare", "reprice"]

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "COST_ONLY_KEYS": "rural_plan.pipeline.reprice",
        "Plan": "rural_plan.pipeline.plan",
        "Prepared": "rural_plan.pipeline.plan",
        "Summary": "rural_plan.pipeline.summary",
        "finish": "rural_plan.pipeline.recipe",
        "plan": "rural_plan.pipeline.recipe",
        "prepare": "rural_plan.pipeline.recipe",
        "reprice": "rural_plan.pipeline.reprice",
    },
)


class _Package(types.ModuleType):
    """This package, whose name ``plan`` is the recipe's function (as it was when the
    names were imported eagerly), not the submodule :mod:`.plan` that the import system
    would otherwise bind to it once the submodule is loaded."""

    def __setattr__(self, name: str, value) -> None:
        if name == "plan" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
