"""The pipeline: the recipe that calls each stage in order (:mod:`.recipe`), what it
produces (:mod:`.plan`), the placement-backhaul fit (:mod:`.fit`), the headline numbers
(:mod:`.summary`), re-planning on computed coverage (:mod:`.reprice`), and where
propagation runs (:mod:`.executors`), its compilation (:mod:`.jit`) and the memory guard
(:mod:`.limits`)."""

from rural_plan.pipeline.plan import Plan, Prepared
from rural_plan.pipeline.recipe import finish, plan, prepare
from rural_plan.pipeline.reprice import COST_ONLY_KEYS, reprice
from rural_plan.pipeline.summary import Summary

__all__ = ["COST_ONLY_KEYS", "Plan", "Prepared", "Summary", "finish", "plan", "prepare", "reprice"]
