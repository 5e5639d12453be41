"""Defaults of the workflows' own settings (not the scenario's), in a module light enough
for the command line to read while it builds its parser (no numba, no geospatial stack)."""

from __future__ import annotations

CLUSTER_RADIUS_M = 2_000.0
"""Unserved people within this distance [m] of a settlement centre join its cluster."""
MIN_CLUSTER_PEOPLE = 50.0
"""Smallest cluster reported [people]."""
