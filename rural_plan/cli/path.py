"""``rural-plan path PROFILE.json``: one point-to-point prediction as JSON. Its defaults
are the scenario schema's (``radio``, ``radio.itm``, ``radio.hata``), so a path and a
scenario answer alike."""

from __future__ import annotations

import argparse

from rural_plan.cli.options import number_in, schema_number, user_path
from rural_plan.scenario.names import (
    CLUTTER_TYPE_NAMES,
    HATA_ENVIRONMENTS,
    PATH_MODEL_NAMES,
    POLARIZATIONS,
)

PATH_F_MHZ = (1.0, 100_000.0)
"""Frequencies ``path`` takes [MHz] (each model then checks its own validity range)."""
PATH_HEIGHT_M = (0.0, 10_000.0)
"""Antenna heights above ground ``path`` takes [m]."""
PERCENT = number_in(0.0, 100.0, open_low=True, open_high=True)

NAME = "path"
HELP = "predict the loss over one terrain profile"
DESCRIPTION = (
    'Point-to-point prediction over PROFILE.json ({"elevations_m": [...], "step_m": S} or '
    '{"elevations_m": [...], "distances_m": [...]}, transmitter first). Prints JSON: model, '
    "loss_db (the total basic transmission loss, for every model), its parts "
    "(free_space_loss_db; diffraction_loss_db or excess_loss_db; clutter_loss_db with "
    "--clutter-type) and the model's intermediate values. Defaults are a scenario's "
    "(radio, radio.itm, radio.hata, radio.clutter)."
)
PARENTS = ("common",)


def _itm(name: str):
    from rural_plan.scenario.schema import ItmParams, field_default

    return field_default(ItmParams, name)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("profile", type=user_path, help="profile JSON file")
    p.add_argument(
        "--model", required=True, choices=list(PATH_MODEL_NAMES), help="point-to-point model"
    )
    p.add_argument("--f-mhz", type=number_in(*PATH_F_MHZ), required=True, help="frequency [MHz]")
    p.add_argument(
        "--h-tx-m",
        type=number_in(*PATH_HEIGHT_M),
        required=True,
        help="transmitter antenna height above ground [m]",
    )
    p.add_argument(
        "--h-rx-m",
        type=number_in(*PATH_HEIGHT_M),
        required=True,
        help="receiver antenna height above ground [m]",
    )
    model_options(p)


def model_options(p: argparse.ArgumentParser, *, ns_direct: bool = True) -> None:
    """The flags of the models' parameters and the handset's clutter, with a scenario's
    defaults (``radio``, ``radio.itm``, ``radio.hata``, ``radio.clutter``): the same
    names in ``rural-plan path`` and ``rural-plan coverage``. ``ns_direct``: also
    ``--ns-direct`` (a point-to-point profile only)."""
    # the schema (pydantic) only for this command's own parser: --help stays light
    from rural_plan.scenario.schema import ClutterSpec, HataParams, ItmParams, Radio, field_default

    p.add_argument(
        "--pol",
        choices=list(POLARIZATIONS),
        default=field_default(Radio, "polarization"),
        help="polarisation (default %(default)s)",
    )
    p.add_argument(
        "--k-factor",
        type=number_in(0.0, None, open_low=True),
        default=field_default(Radio, "k_factor"),
        help="effective earth radius factor for the diffraction models "
        "(default 4/3; ITM derives its own from N_s)",
    )
    p.add_argument(
        "--climate",
        type=schema_number(ItmParams, "climate", whole=True),
        default=_itm("climate"),
        help="ITM radio climate 1-7 (5 continental temperate; default %(default)s)",
    )
    p.add_argument(
        "--n0",
        type=schema_number(ItmParams, "n0"),
        default=_itm("n0"),
        help="ITM sea-level surface refractivity N_0 [N-units], scaled to the "
        "path as the NTIA code does (default %(default)g)",
    )
    if ns_direct:
        p.add_argument(
            "--ns-direct",
            action="store_true",
            help="use --n0 as the surface refractivity N_s itself (QKPFL style)",
        )
    p.add_argument(
        "--epsilon",
        type=schema_number(ItmParams, "epsilon"),
        default=_itm("epsilon"),
        help="ITM ground relative permittivity (default %(default)g)",
    )
    p.add_argument(
        "--sigma",
        type=schema_number(ItmParams, "sigma_s_per_m"),
        default=_itm("sigma_s_per_m"),
        help="ITM ground conductivity [S/m] (default %(default)g)",
    )
    p.add_argument(
        "--mdvar",
        type=schema_number(ItmParams, "mdvar", whole=True),
        default=_itm("mdvar"),
        help="ITM variability mode (0 single message .. 3 broadcast; +10 no location, "
        "+20 no situation variability; default %(default)s: mobile on a known profile, "
        "as in a scenario)",
    )
    p.add_argument(
        "--time",
        type=schema_number(ItmParams, "time_pct"),
        default=_itm("time_pct"),
        help="ITM time percentage [%%] (default %(default)g)",
    )
    p.add_argument(
        "--location",
        type=schema_number(ItmParams, "location_pct"),
        default=_itm("location_pct"),
        help="ITM location percentage [%%] (default %(default)g)",
    )
    p.add_argument(
        "--situation",
        type=schema_number(ItmParams, "situation_pct"),
        default=_itm("situation_pct"),
        help="ITM situation percentage [%%] (default %(default)g)",
    )
    p.add_argument(
        "--reliability",
        type=PERCENT,
        default=None,
        help="ITM reliability percentage [%%] (with --confidence: the CR variant)",
    )
    p.add_argument(
        "--confidence",
        type=PERCENT,
        default=None,
        help="ITM confidence percentage [%%] (with --reliability)",
    )
    p.add_argument(
        "--environment",
        default=field_default(HataParams, "environment"),
        choices=list(HATA_ENVIRONMENTS),
        help="Hata / COST-231 environment (default %(default)s)",
    )
    p.add_argument(
        "--allow-extrapolation",
        action="store_true",
        help="use a model outside its published validity range",
    )
    p.add_argument(
        "--clutter-type",
        choices=list(CLUTTER_TYPE_NAMES),
        default=None,
        help="clutter around the receiver: adds ITU-R P.2108-1 §3.1's height-gain correction "
        "for --h-rx-m (clutter_loss_db; default: none)",
    )
    p.add_argument(
        "--street-width-m",
        type=schema_number(ClutterSpec, "street_width_m"),
        default=field_default(ClutterSpec, "street_width_m"),
        help="P.2108 street width w_s [m] (default %(default)g)",
    )
    p.add_argument(
        "--clutter-height-m",
        type=number_in(0.0, 200.0, open_low=True),
        default=None,
        help="P.2108 representative clutter height R [m] (default: Table 3's for the type)",
    )


def run(args: argparse.Namespace) -> int:
    import json

    from rural_plan.io.profiles import read_profile
    from rural_plan.propagation.point_to_point import PathSettings, path_loss

    settings = PathSettings(
        f_mhz=args.f_mhz,
        h_tx_m=args.h_tx_m,
        h_rx_m=args.h_rx_m,
        pol=args.pol,
        k_factor=args.k_factor,
        climate=args.climate,
        n0=args.n0,
        ns_direct=args.ns_direct,
        epsilon=args.epsilon,
        sigma=args.sigma,
        mdvar=args.mdvar,
        time_pct=args.time,
        location_pct=args.location,
        situation_pct=args.situation,
        reliability_pct=args.reliability,
        confidence_pct=args.confidence,
        environment=args.environment,
        allow_extrapolation=args.allow_extrapolation,
        clutter_type=args.clutter_type,
        street_width_m=args.street_width_m,
        clutter_height_m=args.clutter_height_m,
    )
    result = path_loss(read_profile(args.profile), args.model, settings)
    print(json.dumps(result, indent=2, allow_nan=False))
    return 0
