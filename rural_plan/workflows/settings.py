"""Defaults of the workflows that the command line shows in ``--help``: kept apart from the
workflows themselves, so building the parser loads no pipeline (``rural-plan`` answers a
wrong flag, a Ctrl-C or a SIGTERM within a quarter of a second of starting)."""

CLUSTER_RADIUS_M = 2_000.0
"""Unserved people within this distance [m] of a settlement centre join its cluster."""
MIN_CLUSTER_PEOPLE = 50.0
"""Smallest cluster reported [people]."""
