"""Planner workflows on top of the plan recipe: variants, comparisons, diagnostics."""
