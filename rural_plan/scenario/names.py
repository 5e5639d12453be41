"""Names of the strategies a scenario can choose, in one place.

The scenario schema's enums and the CLI's choices are built from these
tuples, and each stage's own registry dict is keyed by the same names (a
test checks they agree). Keeping the names here, free of heavy imports, lets
the schema validate a name without importing numba kernels.
"""

from __future__ import annotations

PROPAGATION_MODEL_NAMES: tuple[str, ...] = (
    "fspl-knife-edge",
    "fspl-los",
    "free-space",
    "okumura-hata",
    "cost231-hata",
    "3gpp-rma",
    "bullington",
    "delta-bullington",
    "deygout",
    "itm",
)
"""Point-to-area models a scenario can choose (``radio.model``). Terrain models
(``fspl-*``, ``bullington``, ``delta-bullington``, ``deygout``, ``itm``) read the
radial terrain profile of every cell; ``3gpp-rma`` uses its LOS or NLOS formula as
the terrain gives line of sight; Hata models depend on distance and heights only."""


MODEL_VALIDITY: dict[str, dict[str, tuple[float, float]]] = {
    # parameter -> (min, max); f in MHz, heights and distances in metres.
    "okumura-hata": {
        "f_mhz": (150.0, 1500.0),
        "h_tx_m": (30.0, 200.0),
        "h_rx_m": (1.0, 10.0),
        "d_m": (1_000.0, 20_000.0),
    },
    "cost231-hata": {
        "f_mhz": (1500.0, 2000.0),
        "h_tx_m": (30.0, 200.0),
        "h_rx_m": (1.0, 10.0),
        "d_m": (1_000.0, 20_000.0),
    },
    "3gpp-rma": {
        "f_mhz": (500.0, 30_000.0),
        "h_tx_m": (10.0, 150.0),
        "h_rx_m": (1.0, 10.0),
        "d_m": (10.0, 10_000.0),
    },
    "itm": {
        "f_mhz": (20.0, 20_000.0),
        "h_tx_m": (0.5, 3_000.0),
        "h_rx_m": (0.5, 3_000.0),
        "d_m": (1_000.0, 2_000_000.0),
    },
    "bullington": {"f_mhz": (30.0, 6_000.0)},
    "delta-bullington": {"f_mhz": (30.0, 6_000.0)},
    "deygout": {"f_mhz": (30.0, 6_000.0)},
}
"""Published validity ranges (Hata 1980; COST 231 final report §4.4; 3GPP TR 38.901
Table 7.4.1-1; NTIA ITM; ITU-R P.526 / P.1812 for the diffraction models). Point-to-area
evaluates short distances below a model's minimum at the minimum (conservative)."""

PATH_MODEL_NAMES: tuple[str, ...] = (
    "itm",
    "bullington",
    "delta-bullington",
    "deygout",
    "knife-edge",
    "free-space",
    "okumura-hata",
    "cost231-hata",
)
"""Point-to-point models of ``rural-plan path --model`` (``propagation.point_to_point.
PATH_MODELS`` is keyed by the same names, in this order)."""

POLARIZATIONS: tuple[str, ...] = ("horizontal", "vertical")

PLACEMENT_METHOD_NAMES: tuple[str, ...] = ("greedy", "local-search", "milp")
"""Budgeted maximum-coverage methods: lazy greedy with the Khuller–Moss–Naor safeguard;
the greedy start improved by local search (swap, drop-add, change site type); the exact
MILP (scipy / HiGHS) with a time limit, reporting its bound and gap."""


BACKHAUL_TYPE_NAMES: tuple[str, ...] = ("fibre", "microwave", "relay", "satellite")
"""Link types, each priced by the cost preset (``backhaul.pricing.BACKHAUL_TYPES``):
fibre extension from a point of presence, microwave hop (Fresnel clearance over the
DEM), LTE / radio relay to a donor tower or a neighbouring site, satellite terminal."""

HATA_ENVIRONMENTS: tuple[str, ...] = ("urban", "urban-large-city", "suburban", "open")
"""Okumura-Hata / COST-231 Hata environments (``radio.hata.environment``, ``rural-plan path
--environment``), in the order of the kernels' environment code (0 urban ... 3 open)."""

CLUTTER_TYPE_NAMES: tuple[str, ...] = (
    "water-sea",
    "open-rural",
    "suburban",
    "urban",
    "trees-forest",
    "dense-urban",
)
"""ITU-R P.2108-1 Table 3 clutter types (``radio.clutter.type``, ``rural-plan path
--clutter-type``), in the Recommendation's order."""

TECHNOLOGIES: tuple[str, ...] = ("2G", "3G", "4G", "5G")
"""Radio generations of today's network (``existing_network.serving_technologies``)."""

DEM_VOID_POLICIES: tuple[str, ...] = ("fill", "error")
BUDGET_BASES: tuple[str, ...] = ("tco", "capex")

EXECUTOR_NAMES: tuple[str, ...] = ("local", "dask")
"""Where propagation runs (``executor.name``, ``--executor``): this process over numba
threads, or a dask.distributed cluster (a scheduler address, or a LocalCluster of worker
processes). Results are byte for byte the same on either."""
