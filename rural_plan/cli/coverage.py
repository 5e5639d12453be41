"""``rural-plan coverage``: one site's coverage map (path loss, received power) as a
GeoTIFF, from a DEM alone, with the planner's own propagation kernels."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rural_plan.cli.path import model_options
from rural_plan.errors import PropagationError
from rural_plan.scenario.names import PROPAGATION_MODEL_NAMES

NAME = "coverage"
HELP = "one site's coverage map (path loss, received power) as a GeoTIFF"
DESCRIPTION = (
    "Path loss from one site to every cell within --radius-m, on a metric grid centred on "
    "the site (the DEM, in any CRS, warped to the local UTM zone at --cell-size-m, default "
    "the DEM's own resolution), with the planner's propagation kernels and a scenario's "
    "defaults (radio, radio.itm, radio.hata). Writes OUT.tif (Cloud-Optimised GeoTIFF): "
    "band path_loss_db (the total basic transmission loss, P.2108 clutter included with "
    "--clutter-type) and, with --eirp-dbm, band rx_dbm; nodata (NaN) beyond the radius, "
    "outside the DEM or where the model has no answer. Prints one JSON line: cells, "
    "seconds (compile_seconds apart), model, cell_size_m, crs and more."
)
PARENTS = ("common",)

_RADIO_FLAGS = {
    "model": "--model",
    "frequency_mhz": "--f-mhz",
    "rx_height_m": "--h-rx-m",
    "k_factor": "--k-factor",
    "radius_m": "--radius-m",
    "polarization": "--pol",
}
_ITM_FLAGS = {
    "climate": "--climate",
    "n0": "--n0",
    "epsilon": "--epsilon",
    "sigma_s_per_m": "--sigma",
    "mdvar": "--mdvar",
    "time_pct": "--time",
    "location_pct": "--location",
    "situation_pct": "--situation",
}
_CR_FLAGS = {"time_pct": "--reliability", "situation_pct": "--confidence"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    _one_line_errors(p)
    p.add_argument("--dem", type=Path, required=True, help="terrain raster (any CRS)")
    p.add_argument("--lon", type=float, required=True, help="site longitude [degrees]")
    p.add_argument("--lat", type=float, required=True, help="site latitude [degrees]")
    p.add_argument(
        "--h-tx-m", type=float, required=True, help="site antenna height above ground [m]"
    )
    p.add_argument(
        "--h-rx-m", type=float, required=True, help="handset antenna height above ground [m]"
    )
    p.add_argument("--f-mhz", type=float, required=True, help="frequency [MHz]")
    p.add_argument("--radius-m", type=float, required=True, help="largest distance evaluated [m]")
    p.add_argument(
        "--model", required=True, choices=list(PROPAGATION_MODEL_NAMES), help="propagation model"
    )
    p.add_argument(
        "--cell-size-m",
        type=float,
        default=None,
        help="grid cell [m] (default: the DEM's own resolution at the site)",
    )
    p.add_argument(
        "--eirp-dbm",
        type=float,
        default=None,
        help="site EIRP [dBm]: adds band rx_dbm = EIRP - path loss",
    )
    model_options(p, ns_direct=False)
    p.add_argument("-o", "--output", type=Path, required=True, help="output GeoTIFF")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def _one_line_errors(parser: argparse.ArgumentParser) -> None:
    """Make ``parser`` report a bad command line as one line, ``rural-plan: error: ...``,
    and exit 2 (argparse prints its usage first; ``--help`` still shows it)."""

    def error(message: str):
        import sys

        print(f"rural-plan: error: {message} (see {parser.prog} --help)", file=sys.stderr)
        sys.exit(2)

    parser.error = error  # type: ignore[method-assign]


def _schema_object(cls: type, values: dict, flags: dict[str, str], error: type[Exception]):
    """``cls(**values)`` (a schema section), its first problem raised as ``error`` naming the
    flag (``flags`` maps a field to its flag) and the schema's range for it."""
    from pydantic import ValidationError

    from rural_plan.scenario.schema import field_range

    try:
        return cls(**values)
    except ValidationError as err:
        problem = err.errors()[0]
        field = str(problem["loc"][0]) if problem["loc"] else ""
        flag = flags.get(field, field)
        msg = str(problem["msg"]).removeprefix("Value error, ")
        lo, hi = field_range(cls, field) if field in cls.model_fields else (None, None)
        valid = f"; valid {lo:g}..{hi:g}" if lo is not None and hi is not None else ""
        raise error(f"{flag}: {msg} (got {values.get(field)!r}{valid})") from None


def _check(flag: str, value: float, lo: float, hi: float, unit: str) -> float:
    if not (math.isfinite(value) and lo <= value <= hi):
        raise PropagationError(f"{flag}: expected {lo:g}..{hi:g} {unit}, got {value:g}")
    return value


def run(args: argparse.Namespace) -> int:
    import json

    from rural_plan.propagation.itm import check_itm_inputs
    from rural_plan.scenario.schema import (
        ClutterSpec,
        HataParams,
        ItmParams,
        Radio,
        SiteType,
        field_range,
        validity_problems,
    )
    from rural_plan.workflows.coverage import (
        Clutter,
        check_output,
        coverage_map,
        summary,
        write_coverage,
    )

    _check("--lon", args.lon, -180.0, 180.0, "degrees")
    _check("--lat", args.lat, -90.0, 90.0, "degrees")
    _check("--h-tx-m", args.h_tx_m, *field_range(SiteType, "mast_height_m"), "m")
    if args.eirp_dbm is not None:
        _check("--eirp-dbm", args.eirp_dbm, *field_range(SiteType, "eirp_dbm"), "dBm")
    if args.cell_size_m is not None:
        _check("--cell-size-m", args.cell_size_m, 1.0, 10_000.0, "m")
    if (args.reliability is None) != (args.confidence is None):
        raise PropagationError("give both --reliability and --confidence, or neither")
    cr = args.reliability is not None
    itm_values = {
        "climate": args.climate,
        "n0": args.n0,
        "epsilon": args.epsilon,
        "sigma_s_per_m": args.sigma,
        "mdvar": args.mdvar,
        "time_pct": args.reliability if cr else args.time,
        "location_pct": 50.0 if cr else args.location,
        "situation_pct": args.confidence if cr else args.situation,
    }
    itm = _schema_object(
        ItmParams, itm_values, {**_ITM_FLAGS, **(_CR_FLAGS if cr else {})}, PropagationError
    )
    radio = _schema_object(
        Radio,
        {
            "model": args.model,
            "frequency_mhz": args.f_mhz,
            "rx_height_m": args.h_rx_m,
            "k_factor": args.k_factor,
            "radius_m": args.radius_m,
            "polarization": args.pol,
            "allow_extrapolation": args.allow_extrapolation,
            "itm": itm,
            "hata": HataParams(environment=args.environment),
            "clutter": ClutterSpec(model="none"),
        },
        _RADIO_FLAGS,
        PropagationError,
    )
    if not args.allow_extrapolation:
        problems = validity_problems(
            args.model,
            {
                "f_mhz": [("--f-mhz", args.f_mhz)],
                "h_rx_m": [("--h-rx-m", args.h_rx_m)],
                "h_tx_m": [("--h-tx-m", args.h_tx_m)],
                "d_m": [("--radius-m", args.radius_m)],
            },
        )
        if problems:
            raise PropagationError(
                f"--model {args.model} is outside its validity range: {'; '.join(problems)}; "
                "pass --allow-extrapolation to use it anyway"
            )
    if args.model == "itm":
        check_itm_inputs(radio, h_tx_m=args.h_tx_m)
    clutter = None
    if args.clutter_type is not None:
        if not 30.0 <= args.f_mhz <= 3000.0:
            raise PropagationError(
                f"--clutter-type: ITU-R P.2108-1 §3.1 holds from 30 to 3000 MHz, got --f-mhz "
                f"{args.f_mhz:g}"
            )
        _check(
            "--street-width-m",
            args.street_width_m,
            0.01,
            field_range(ClutterSpec, "street_width_m")[1],
            "m",
        )
        if args.clutter_height_m is not None:
            _check("--clutter-height-m", args.clutter_height_m, 0.01, 200.0, "m")
        clutter = Clutter(args.clutter_type, args.street_width_m, args.clutter_height_m)
    check_output(args.output, overwrite=args.overwrite)
    cmap = coverage_map(
        args.dem,
        lon=args.lon,
        lat=args.lat,
        h_tx_m=args.h_tx_m,
        radio=radio,
        cell_size_m=args.cell_size_m,
        eirp_dbm=args.eirp_dbm,
        clutter=clutter,
    )
    write_s = write_coverage(
        cmap, args.output, lon=args.lon, lat=args.lat, overwrite=args.overwrite
    )
    print(json.dumps(summary(cmap, args.output, lon=args.lon, lat=args.lat, write_seconds=write_s)))
    return 0
