"""Write a plan's results folder: atomically, or not at all.

Everything is written into a temporary folder beside the target and renamed into
place once complete; a failure removes the temporary folder, and an existing
results folder is only replaced after the new one is complete.
"""

from __future__ import annotations

import ctypes
import errno
import logging
import os
import re
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import rasterio.warp

from rural_plan.errors import OutputError, RuralPlanError
from rural_plan.io.rasters import write_geotiff
from rural_plan.io.vectors import feature_collection, write_json
from rural_plan.pipeline import Plan, radio_settings, site_patterns
from rural_plan.placement import KIND_NAMES
from rural_plan.propagation import best_server
from rural_plan.report.html import write_report_html
from rural_plan.report.maps import covered_from_field

log = logging.getLogger(__name__)

MARKER = "summary.json"
"""A folder holding this file was written by rural_plan (and may be replaced)."""
MARKERS = (MARKER, "diagnosis.json")
"""Files that mark a folder as rural_plan's: a plan's results or a diagnosis."""


def check_output_dir(out_dir: Path, *, overwrite: bool) -> Path:
    """Refuse an output path that is a file, an unwritable folder, or existing results.

    Missing parent folders are fine (they are made when the results are written).
    Temporary folders of this target left by killed runs are cleaned up first (see
    :func:`clean_stale_temporaries`).
    """
    out_dir = Path(out_dir).absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"{out_dir}: output path is a file, not a folder; choose a folder for -o")
    parent = out_dir.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the nearest folder that exists: it holds the new ones
    if not parent.is_dir():
        raise OutputError(
            f"{parent}: is a file, so the output folder {out_dir} cannot be made under it; "
            "choose another -o"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(
            f"{parent}: not writable (the results are written beside {out_dir.name} first); "
            "choose another -o"
        )
    clean_stale_temporaries(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        raise OutputError(
            f"{out_dir}: folder exists and is not empty; choose another -o or pass --overwrite"
        )
    if (
        out_dir.exists()
        and overwrite
        and any(out_dir.iterdir())
        and not any((out_dir / m).exists() for m in MARKERS)
    ):
        raise OutputError(
            f"{out_dir}: --overwrite only replaces a rural_plan results folder (with {MARKER}); "
            "this folder holds other files"
        )
    return out_dir


def write_results(plan: Plan, out_dir: Path, *, overwrite: bool = False) -> Path:
    """Write summary.json, provenance.json, sites.geojson, links.geojson, budget_curve.csv,
    sites.csv, costs.csv, coverage.tif and report.html."""
    return write_folder(out_dir, lambda folder: _write_all(plan, folder), overwrite=overwrite)


_HOST = re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def _temporary_name(out_dir: Path, kind: str) -> str:
    """``.NAME.partial-PID-HOST-`` (or ``.old-``): the writer's process and host are in the
    name, so a later run can tell a folder left by a killed run from one being written."""
    return f".{out_dir.name}.{kind}-{os.getpid()}-{_HOST}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM), or cannot tell: treat as alive
        return True
    return True


def clean_stale_temporaries(out_dir: Path) -> list[Path]:
    """Remove the temporary folders of ``out_dir`` that runs killed before finishing left
    behind; returns them.

    Only folders named ``.NAME.partial-PID-HOST-*`` / ``.NAME.old-PID-HOST-*`` of this
    target, written on this host by a process that no longer runs, are touched. A
    ``.old-`` folder holds the previous results while they are swapped out (only where
    the system cannot swap two folders in one step): when ``out_dir`` is missing it is put
    back in place, otherwise removed.
    """
    out_dir = Path(out_dir).absolute()
    pattern = re.compile(
        rf"^\.{re.escape(out_dir.name)}\.(partial|old)-(\d+)-{re.escape(_HOST)}-[A-Za-z0-9_]+$"
    )
    try:
        entries = sorted(out_dir.parent.iterdir())
    except OSError:
        return []
    removed = []
    for path in entries:
        m = pattern.match(path.name)
        if not m or path.is_symlink() or not path.is_dir() or _pid_alive(int(m.group(2))):
            continue
        try:
            if m.group(1) == "old" and not out_dir.exists():
                os.rename(path, out_dir)
                log.warning("put back the previous results %s (a run was killed)", out_dir)
                continue
            shutil.rmtree(path)
        except OSError as err:
            log.warning("cannot remove %s left by a killed run: %s", path, err)
            continue
        log.info("removed %s, left by a run that was killed", path)
        removed.append(path)
    return removed


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``); False
    when the system or file system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def write_folder(out_dir: Path, fill, *, overwrite: bool = False) -> Path:
    """Run ``fill(folder)`` on a temporary folder beside ``out_dir`` and rename it into
    place when it returns: readers never see a half-written results folder, and an
    existing one is replaced only once the new one is complete.

    The temporary folder is ``.NAME.partial-PID-HOST-XXXX``; ``fill`` should write the
    marker file (``summary.json``) last, so a folder holding it is complete. An existing
    folder is swapped with the new one in one step where the system can (Linux), so a
    run killed at any moment leaves either the previous results or the new ones in
    place. What a killed run leaves beside them is cleaned up by the next run.
    """
    out_dir = check_output_dir(out_dir, overwrite=overwrite)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=_temporary_name(out_dir, "partial"), dir=out_dir.parent))
    except OSError as err:
        raise OutputError(f"{out_dir}: cannot create the output folder ({err.strerror})") from err
    try:
        try:
            fill(tmp)
            _move_into_place(tmp, out_dir)
        except RuralPlanError:
            raise
        except OSError as err:  # disk full, permissions changed under us, ...
            raise OutputError(f"{out_dir}: cannot write the results ({err})") from err
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("results written to %s", out_dir)
    return out_dir


def _move_into_place(tmp: Path, out_dir: Path) -> None:
    if not out_dir.exists():
        os.rename(tmp, out_dir)
        return
    if _exchange(tmp, out_dir):  # tmp now holds the previous results
        if tmp.is_symlink():  # out_dir was a link to a folder: leave what it points to
            tmp.unlink()
            return
        for marker in MARKERS:  # first, so they no longer look like a complete result
            (tmp / marker).unlink(missing_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        return
    old = tmp.with_name(tmp.name.replace(".partial-", ".old-", 1))
    os.rename(out_dir, old)
    try:
        os.rename(tmp, out_dir)
    except BaseException:
        os.rename(old, out_dir)  # put the previous results back
        raise
    shutil.rmtree(old, ignore_errors=True)


def _lonlat(crs: str, x: np.ndarray, y: np.ndarray) -> tuple[list[float], list[float]]:
    if len(x) == 0:
        return [], []
    lon, lat = rasterio.warp.transform(crs, "EPSG:4326", list(map(float, x)), list(map(float, y)))
    return [round(v, 7) for v in lon], [round(v, 7) for v in lat]


def _write_all(plan: Plan, folder: Path) -> None:
    write_json(folder / "provenance.json", _provenance(plan))
    write_json(folder / "sites.geojson", feature_collection(_site_features(plan)))
    write_json(folder / "links.geojson", feature_collection(_link_features(plan)))
    _write_budget_curve(plan, folder / "budget_curve.csv")
    _write_sites_csv(plan, folder / "sites.csv")
    if plan.pois is not None:
        _write_pois(plan, folder / "pois.csv")
    _write_costs(plan, folder)
    field = best_server_field(plan)
    if plan.scenario.outputs.coverage_tif:
        _write_coverage(plan, folder / "coverage.tif", field)
    write_report_html(plan, folder / "report.html", covered_area=covered_from_field(plan, *field))
    write_json(folder / MARKER, plan.summary)  # last: a folder holding it is complete


def _write_csv(path: Path, rows: list[dict[str, Any]], columns=None) -> None:
    import csv

    columns = list(columns or (rows[0].keys() if rows else []))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        w.writeheader()
        for row in rows:
            w.writerow({k: "" if v is None else v for k, v in row.items()})


def _write_costs(plan: Plan, folder: Path) -> None:
    """costs.csv (every cost item of each site type, with its source), sensitivity.csv
    (tornado) and sensitivity_montecarlo.csv (percentiles) when computed."""
    from rural_plan.costing import cost_rows

    c = plan.scenario.cost
    if plan.site_costs is not None:
        rows = cost_rows(
            plan.site_costs,
            plan.preset,
            horizon_years=c.horizon_years,
            discount_rate=c.discount_rate,
        )
        _write_csv(folder / "costs.csv", rows)
    econ = plan.economics
    if econ is not None and econ.tornado:
        _write_csv(folder / "sensitivity.csv", [r.as_dict() for r in econ.tornado])
    if econ is not None and econ.monte_carlo is not None:
        _write_csv(folder / "sensitivity_montecarlo.csv", econ.monte_carlo.as_rows())


def _write_sites_csv(plan: Plan, path: Path) -> None:
    """The chosen sites as a table (the properties of sites.geojson, with lon / lat)."""
    from rural_plan.report.tables import sites_frame

    frame = sites_frame(plan)
    frame.to_csv(path, lineterminator="\n", float_format="%.7g")


def _write_pois(plan: Plan, path: Path) -> None:
    """Per point of interest (school, clinic): covered before, by the plan, by what."""
    from rural_plan.coverage.poi_coverage import POI_COLUMNS

    _write_csv(path, plan.pois, POI_COLUMNS)


def _write_budget_curve(plan: Plan, path: Path) -> None:
    """People newly covered against investment, one row per budget (the sweep's curve);
    the points re-costed with their designed backhaul also at that real cost (cells left
    empty for the others)."""
    from rural_plan.report.tables import BUDGET_CURVE_COLUMNS, budget_curve_frame

    frame = budget_curve_frame(plan)
    basis = plan.scenario.budget_basis
    lines = [",".join((*BUDGET_CURVE_COLUMNS[:5], "budget_basis", *BUDGET_CURVE_COLUMNS[5:]))]
    for r in frame.itertuples(index=False):
        if np.isfinite(r.cost_designed_usd):
            designed = f"{r.backhaul_usd:.2f},{r.cost_designed_usd:.2f},"
            designed += f"{r.people_per_1000_usd_designed:.4f}"
        else:
            designed = ",,"  # not re-costed: empty cells
        lines.append(
            f"{r.budget_usd:.2f},{r.cost_usd:.2f},{r.people_newly_covered:.2f},{int(r.sites)},"
            f"{r.people_per_1000_usd:.4f},{basis},{designed}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _provenance(plan: Plan) -> dict[str, Any]:
    s = plan.scenario
    return {
        "scenario": s.model_dump(mode="json"),
        "scenario_file": str(s.source_path) if s.source_path else None,
        "inputs_sha256": plan.summary["inputs_sha256"],
        "seed": s.seed,
        "rural_plan_version": plan.summary["rural_plan_version"],
        "timings_s": plan.timings_s,
        "executor": plan.executor,
        "cost_sources": plan.preset.sources,
    }


def _site_features(plan: Plan) -> list[dict[str, Any]]:
    grid, opt, sel = plan.region.grid, plan.options, plan.selection
    loc = opt.location[sel.chosen]
    rows, cols = plan.candidates.rows[loc], plan.candidates.cols[loc]
    x, y = grid.xy_of(rows, cols)
    lon, lat = _lonlat(grid.crs, x, y)
    feats = []
    for order, i in enumerate(sel.chosen):
        people = float(sel.marginal_people[order])
        cost = float(opt.cost_usd[i])
        feats.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon[order], lat[order]]},
                "properties": {
                    "site_id": order + 1,
                    "rollout_order": order + 1,
                    "site_type": opt.type_name[opt.type_index[i]],
                    "candidate_kind": KIND_NAMES[int(plan.candidates.kind[loc[order]])],
                    "ground_elevation_m": round(
                        float(grid.elevation_m[rows[order], cols[order]]), 1
                    ),
                    "mast_height_m": float(opt.mast_height_m[i]),
                    "eirp_dbm": float(opt.eirp_dbm[i]),
                    "max_path_loss_db": round(float(opt.max_loss_db[i]), 2),
                    "people_newly_covered": round(people, 1),
                    "capex_usd": round(float(opt.capex_usd[i]), 2),
                    "opex_usd_per_year": round(float(opt.opex_usd_per_year[i]), 2),
                    "budget_cost_usd": round(cost, 2),
                    "people_per_1000_usd": round(people / (cost / 1000.0), 3),
                    "backhaul": plan.backhaul.site_kind[order],
                },
            }
        )
    return feats


def _link_features(plan: Plan) -> list[dict[str, Any]]:
    feats = []
    crs = plan.region.grid.crs
    for link in plan.backhaul.links:
        props = {
            "type": link.kind,
            "from": link.a,
            "to": link.b,
            "length_m": round(link.length_m, 1),
            "capex_usd": round(link.capex_usd, 2),
            "opex_usd_per_year": round(link.opex_usd_per_year, 2),
            "capacity_mbps": None if np.isnan(link.capacity_mbps) else round(link.capacity_mbps, 3),
            "load_mbps": round(link.load_mbps, 3),
            "fresnel_clearance_f1": None
            if np.isnan(link.clearance_f1)
            else round(link.clearance_f1, 3),
            "mast_raise_m": round(link.mast_raise_m, 1),
            "relay_site": link.relay_site,
            "route": link.route or None,
        }
        xy = np.asarray(link.geometry_xy, dtype=np.float64).reshape(-1, 2)
        lon, lat = _lonlat(crs, xy[:, 0], xy[:, 1])
        if link.kind == "satellite":
            geom = {"type": "Point", "coordinates": [lon[0], lat[0]]}
        else:
            geom = {
                "type": "LineString",
                "coordinates": [list(p) for p in zip(lon, lat, strict=True)],
            }
        feats.append({"type": "Feature", "geometry": geom, "properties": props})
    return feats


def best_server_field(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Best-server received power [dBm] (NaN: no site in range) and the index of the
    serving site in rollout order (-1) on the plan's grid."""
    grid, opt, sel = plan.region.grid, plan.options, plan.selection
    loc = opt.location[sel.chosen]
    radio = radio_settings(plan.scenario)
    return best_server(
        grid,
        plan.candidates.rows[loc],
        plan.candidates.cols[loc],
        opt.mast_height_m[sel.chosen],
        opt.eirp_dbm[sel.chosen],
        radio,
        pattern_index=opt.type_index[sel.chosen],
        patterns=site_patterns(plan.scenario, radio, grid.cell_size_m),
    )


def _write_coverage(plan: Plan, path: Path, field: tuple[np.ndarray, np.ndarray]) -> None:
    grid, sel = plan.region.grid, plan.selection
    rx, server = field
    site_id = np.where(server >= 0, server + 1, np.nan).astype(np.float32)
    cov = plan.coverage
    newly = cov.covered_by(sel.chosen) & (cov.weight > 0)
    covered = cov.people_grid(newly, grid.population).astype(np.float32)
    write_geotiff(
        path,
        [rx, site_id, covered],
        transform=grid.transform,
        crs=grid.crs,
        nodata=np.nan,
        descriptions=["best_server_rx_dbm", "serving_site_id", "people_newly_covered"],
    )
