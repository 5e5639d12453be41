"""Cost presets: cited YAML files, loaded and checked into typed tables."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from rural_plan.costing.power import POWER_FIGURES, check_power_source
from rural_plan.errors import CostingError
from rural_plan.scenario.files import UnusableFile, read_text
from rural_plan.scenario.loader import load_yaml_text


def _first_line(err: BaseException) -> str:
    return " ".join(str(err).split())


@dataclass(frozen=True)
class SiteCost:
    """A site type's own cited items [USD], *without* its power system: the power system
    is sized from the site's load by ``costing.site_cost`` (``power_source`` names the
    preset's default source for this type)."""

    capex_usd: dict[str, float]
    opex_usd_per_year: dict[str, float]
    power_source: str | None = None
    capacity_users: float | None = None
    """Subscribers one site of this type is designed for (cited); None: not given."""

    @property
    def capex_total_usd(self) -> float:
        return float(sum(self.capex_usd.values()))

    @property
    def opex_total_usd_per_year(self) -> float:
        return float(sum(self.opex_usd_per_year.values()))


@dataclass(frozen=True)
class CostPreset:
    """A preset's figures (USD). ``sources`` maps each figure's key path to its citation."""

    name: str
    site_types: dict[str, SiteCost]
    microwave_capex_by_length: tuple[tuple[float, float], ...]
    """(max hop length [m], CAPEX per link [USD]), ascending."""
    microwave_opex_fraction_per_year: float
    satellite_capex_usd: float
    satellite_opex_usd_per_mbps_per_year: float
    fibre_capex_usd_per_km: float
    fibre_opex_usd_per_km_per_year: float
    sources: dict[str, str]
    # -- filled by _finish (cost model: power, figures, ranges, patching) --
    power: dict[str, dict[str, float]] = field(default_factory=dict)
    """Power-system figures by source (``power.solar.pv_capex_usd_per_w`` …)."""
    figures: dict[str, float] = field(default_factory=dict)
    """Every numeric figure by key path (``site_types.light_pole.capex_usd.mast``,
    ``backhaul.microwave.capex_usd_per_link[0]``): what ``patch_preset`` can change and
    the sensitivity analysis varies."""
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Low and high value of each figure: its own ``range`` (multipliers) or
    ``range_value`` (values), else the preset's ``default_range``."""
    data: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """The preset's YAML mapping (``extends`` resolved) that a patched copy is rebuilt from."""

    def site(self, name: str) -> SiteCost:
        try:
            return self.site_types[name]
        except KeyError:
            raise CostingError(
                f"cost preset {self.name!r} has no site type {name!r}; "
                f"valid: {', '.join(self.site_types)}"
            ) from None

    def satellite_terminal_usd(self, mbps: float) -> tuple[float, float]:
        """(CAPEX, OPEX per year) [USD] of one satellite terminal carrying ``mbps``."""
        return self.satellite_capex_usd, self.satellite_opex_usd_per_mbps_per_year * mbps

    def microwave_capex_usd(self, length_m: float) -> float:
        for max_len, capex in self.microwave_capex_by_length:
            if length_m <= max_len:
                return capex
        raise CostingError(
            f"cost preset {self.name!r}: no microwave price for a {length_m:.0f} m hop "
            f"(longest priced: {self.microwave_capex_by_length[-1][0]:.0f} m)"
        )


def _packaged() -> dict[str, Any]:
    folder = resources.files("rural_plan.costing") / "presets"
    found = {p.name.removesuffix(".yaml"): p for p in folder.iterdir() if p.name.endswith(".yaml")}
    return dict(sorted(found.items()))


COST_PRESETS: dict[str, Any] = _packaged()
"""Registry of the presets shipped with rural_plan: name → packaged YAML file. A scenario
names one (``cost.preset``) or gives the path of its own file with the same layout."""


def _figure(data: dict[str, Any], key: str, where: str, sources: dict[str, str]) -> float:
    item = data.get(key)
    if not isinstance(item, dict) or "value" not in item or "source" not in item:
        raise CostingError(f"{where}.{key}: needs 'value' and 'source' (every figure cites one)")
    value = _number(item["value"], f"{where}.{key}.value")
    if value < 0:
        raise CostingError(f"{where}.{key}.value: must be >= 0, got {value}")
    sources[f"{where}.{key}"] = str(item["source"]).strip()
    return value


def _number(raw: Any, where: str) -> float:
    """A figure as the YAML typed it: a finite number, never true / false or quoted text
    (strict, as the scenario's own keys)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        shown = str(raw).lower() if isinstance(raw, bool) else repr(raw)[:60]
        raise CostingError(f"{where}: not a number ({shown})")
    try:
        value = float(raw)
    except OverflowError:  # a whole number beyond any float
        raise CostingError(f"{where}: not a finite number ({str(raw)[:30]}...)") from None
    if not math.isfinite(value):
        raise CostingError(f"{where}: not a finite number ({value})")
    return value


def load_preset(name_or_path: str, *, overrides: Mapping[str, float] | None = None) -> CostPreset:
    """Load a packaged preset by name, or a preset YAML file by path.

    ``overrides`` replaces figures by key path (``{"power.diesel.fuel_price_usd_per_l":
    1.43}``, the scenario's ``cost.overrides``); their source becomes "scenario override".
    A preset may start with ``extends: <packaged name>`` and list only what it changes.
    """
    data, origin = _read_preset(name_or_path)
    preset = _build(data, origin)
    if overrides:
        preset = patch_preset(preset, overrides, note="scenario override (user value)")
    return preset


def _read_preset(name_or_path: str, _seen: tuple[str, ...] = ()) -> tuple[dict[str, Any], str]:
    """The preset's YAML mapping, with ``extends`` merged in, and where it came from."""
    packaged = COST_PRESETS
    if name_or_path in packaged:
        text = packaged[name_or_path].read_text(encoding="utf-8")
        origin = f"preset {name_or_path!r}"
    else:
        path = Path(name_or_path)
        if path.suffix.lower() not in (".yaml", ".yml"):
            raise CostingError(
                f"unknown cost preset {name_or_path!r}; valid: {', '.join(COST_PRESETS)} "
                "or a path to a .yaml file"
            )
        try:
            text = read_text(path)
        except UnusableFile as err:
            raise CostingError(f"{path}: cannot read cost preset ({err.problem})") from None
        origin = str(path)
    try:
        data = load_yaml_text(text)
    except yaml.YAMLError as err:
        raise CostingError(f"{origin}: not valid YAML ({_first_line(err)})") from err
    except RecursionError:
        raise CostingError(f"{origin}: not valid YAML (nested too deeply)") from None
    if not isinstance(data, dict):
        raise CostingError(f"{origin}: a cost preset must be a YAML mapping")
    base_name = data.pop("extends", None)
    if base_name is not None:
        if not isinstance(base_name, str) or base_name not in packaged:
            shown = repr(base_name)[:60]
            raise CostingError(
                f"{origin}: extends: unknown preset {shown}; valid: {', '.join(packaged)}"
            )
        if base_name in _seen:
            raise CostingError(f"{origin}: extends: cycle through {base_name!r}")
        base, _ = _read_preset(base_name, (*_seen, name_or_path))
        name = data.get("name", Path(name_or_path).stem)
        data = _merge(base, data)
        data["name"] = name
    return data, origin


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """``child`` over ``base``: mappings merge key by key, a figure (a mapping with a
    ``value``) and anything else is replaced whole."""
    out = copy.deepcopy(base)
    for key, value in child.items():
        old = out.get(key)
        if isinstance(value, dict) and isinstance(old, dict) and "value" not in value:
            out[key] = _merge(old, value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _parse(data: dict[str, Any], origin: str) -> CostPreset:
    sources: dict[str, str] = {}
    sites: dict[str, SiteCost] = {}
    raw_sites = data.get("site_types")
    if not isinstance(raw_sites, dict) or not raw_sites:
        raise CostingError(f"{origin}: site_types: needs at least one site type")
    for name, spec in raw_sites.items():
        where = f"site_types.{name}"
        if not isinstance(spec, dict):
            raise CostingError(f"{origin}: {where}: must be a mapping")
        parts = {}
        for group in ("capex_usd", "opex_usd_per_year"):
            items = spec.get(group)
            if not isinstance(items, dict) or not items:
                raise CostingError(f"{origin}: {where}.{group}: needs at least one cited item")
            parts[group] = {k: _figure(items, k, f"{where}.{group}", sources) for k in items}
        source = spec.get("power_source")
        if source is not None:
            check_power_source(str(source), f"{origin}: {where}.power_source")
        capacity = (
            _figure(spec, "capacity_users", where, sources) if "capacity_users" in spec else None
        )
        if capacity is not None and not capacity > 0:
            raise CostingError(f"{origin}: {where}.capacity_users: must be > 0 users")
        sites[name] = SiteCost(
            parts["capex_usd"],
            parts["opex_usd_per_year"],
            None if source is None else str(source),
            capacity,
        )
    bh = data.get("backhaul")
    if not isinstance(bh, dict):
        raise CostingError(f"{origin}: backhaul: missing (microwave, satellite, fibre)")
    for kind in ("microwave", "satellite", "fibre"):
        if not isinstance(bh.get(kind), dict):
            raise CostingError(f"{origin}: backhaul.{kind}: missing; nothing costs 0 by default")
    classes = bh["microwave"].get("capex_usd_per_link")
    if not isinstance(classes, list) or not classes:
        raise CostingError(f"{origin}: backhaul.microwave.capex_usd_per_link: needs length classes")
    by_length = []
    for i, cls in enumerate(classes):
        where = f"backhaul.microwave.capex_usd_per_link[{i}]"
        value = _figure({"x": cls}, "x", where, sources)
        length = _number(cls.get("max_length_m", 0), f"{where}.max_length_m")
        by_length.append((length, value))
    mw, sat, fib = bh["microwave"], bh["satellite"], bh["fibre"]
    return CostPreset(
        name=str(data.get("name", origin)),
        site_types=sites,
        microwave_capex_by_length=tuple(sorted(by_length)),
        microwave_opex_fraction_per_year=_figure(
            mw, "opex_fraction_of_capex_per_year", "backhaul.microwave", sources
        ),
        satellite_capex_usd=_figure(sat, "capex_usd_per_terminal", "backhaul.satellite", sources),
        satellite_opex_usd_per_mbps_per_year=_figure(
            sat, "opex_usd_per_mbps_per_year", "backhaul.satellite", sources
        ),
        fibre_capex_usd_per_km=_figure(fib, "capex_usd_per_km", "backhaul.fibre", sources),
        fibre_opex_usd_per_km_per_year=_figure(
            fib, "opex_usd_per_km_per_year", "backhaul.fibre", sources
        ),
        sources=sources,
    )


# ------------------------------------------------------------------ cost model layer


def _build(data: dict[str, Any], origin: str) -> CostPreset:
    """Parse a preset mapping (``extends`` already merged) into a checked CostPreset;
    every problem names the preset (its file, or its name) first."""
    try:
        return _finish(_parse(data, origin), data, origin)
    except CostingError as err:
        if str(err).startswith(f"{origin}: "):
            raise
        raise CostingError(f"{origin}: {err}") from None


_RANGE_KEYS = ("range", "range_value")
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _walk_figures(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every figure (a mapping with a numeric ``value``) under ``node``, by key path."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        value = node.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return [(path, node)]
        for key, child in node.items():
            found += _walk_figures(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _walk_figures(child, f"{path}[{i}]")
    return found


def _pair(raw: Any, where: str) -> tuple[float, float]:
    if (
        not isinstance(raw, (list, tuple))
        or len(raw) != 2
        or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in raw)
    ):
        raise CostingError(f"{where}: needs [low, high] numbers, got {raw!r}")
    lo, hi = float(raw[0]), float(raw[1])
    if not 0 <= lo <= hi:
        raise CostingError(f"{where}: needs 0 <= low <= high, got [{lo:g}, {hi:g}]")
    return lo, hi


def _finish(preset: CostPreset, data: dict[str, Any], origin: str) -> CostPreset:
    """Add the power figures, every figure's value and low/high range, and the data."""
    sources = dict(preset.sources)
    default = data.get("default_range")
    if default is None:
        default_range = (1.0, 1.0)
    else:
        if not isinstance(default, dict) or not str(default.get("source", "")).strip():
            raise CostingError(f"{origin}: default_range: needs 'value' and 'source'")
        default_range = _pair(default.get("value"), f"{origin}: default_range.value")
        sources["default_range"] = str(default["source"]).strip()

    power: dict[str, dict[str, float]] = {}
    raw_power = data.get("power") or {}
    if not isinstance(raw_power, dict):
        raise CostingError(f"{origin}: power: must be a mapping of power sources")
    for source, spec in raw_power.items():
        check_power_source(str(source), f"{origin}: power")
        if not isinstance(spec, dict):
            raise CostingError(f"{origin}: power.{source}: must be a mapping of figures")
        unknown = sorted(set(spec) - set(POWER_FIGURES[source]))
        if unknown:
            raise CostingError(
                f"{origin}: power.{source}: unknown figure {unknown[0]!r}; valid: "
                f"{', '.join(POWER_FIGURES[source])}"
            )
        power[str(source)] = {k: _figure(spec, k, f"power.{source}", sources) for k in spec}

    figures: dict[str, float] = {}
    ranges: dict[str, tuple[float, float]] = {}
    for key, item in _walk_figures(data):
        if key == "default_range":
            continue
        if not str(item.get("source", "")).strip():
            raise CostingError(f"{origin}: {key}: needs a 'source' (every figure cites one)")
        value = _number(item["value"], f"{origin}: {key}.value")
        sources.setdefault(key, str(item["source"]).strip())
        figures[key] = value
        if "range" in item and "range_value" in item:
            raise CostingError(f"{origin}: {key}: give 'range' or 'range_value', not both")
        if "range_value" in item:
            ranges[key] = _pair(item["range_value"], f"{origin}: {key}.range_value")
        else:
            lo, hi = _pair(item.get("range", default_range), f"{origin}: {key}.range")
            ranges[key] = (value * lo, value * hi)
    return replace(preset, power=power, figures=figures, ranges=ranges, data=data, sources=sources)


def _split_path(key: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _PATH_PART.finditer(key):
        if m.start() != pos and key[pos : m.start()] != ".":
            break
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    return parts


def patch_preset(
    preset: CostPreset, values: Mapping[str, float], *, note: str = "patched"
) -> CostPreset:
    """A new CostPreset with the figures ``values`` (key path → value) replaced.

    The original is not changed (presets are immutable). Each replaced figure's source
    records the change: ``"<note>: <value> (was <old>; <old source>)"``.

    Examples
    --------
    >>> p = load_preset("default")
    >>> q = patch_preset(p, {"power.diesel.fuel_price_usd_per_l": 2.0})
    >>> q.power["diesel"]["fuel_price_usd_per_l"], p.power["diesel"]["fuel_price_usd_per_l"]
    (2.0, 1.23)
    """
    if not values:
        return preset
    unknown = [k for k in values if k not in preset.figures]
    if unknown:
        raise CostingError(
            f"cost preset {preset.name!r} has no figure {unknown[0]!r}; valid: "
            f"{', '.join(preset.figures)}"
        )
    data = copy.deepcopy(preset.data)
    for key, value in values.items():
        value = float(value)
        if not math.isfinite(value) or value < 0:
            raise CostingError(f"{key}: a figure must be a finite number >= 0, got {value}")
        node: Any = data
        for part in _split_path(key):
            node = node[part]
        old = preset.figures[key]
        node["value"] = value
        node["source"] = f"{note}: {value:g} (was {old:g}; {preset.sources.get(key, '')})"
    return _build(data, f"preset {preset.name!r}")


def scale_figure(preset: CostPreset, key: str, factor: float) -> CostPreset:
    """A new CostPreset with figure ``key`` multiplied by ``factor``.

    Examples
    --------
    >>> p = load_preset("default")
    >>> scale_figure(p, "site_types.light_pole.capex_usd.mast", 2.0).site(
    ...     "light_pole").capex_usd["mast"] == 2 * p.site("light_pole").capex_usd["mast"]
    True
    """
    if key not in preset.figures:
        patch_preset(preset, {key: 0.0})  # raises the error listing valid keys
    return patch_preset(preset, {key: preset.figures[key] * factor}, note=f"scaled x{factor:g}")
