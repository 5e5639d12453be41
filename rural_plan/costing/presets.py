"""Cost presets: cited YAML files, loaded and checked into typed tables."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from rural_plan.errors import CostingError


@dataclass(frozen=True)
class SiteCost:
    capex_usd: dict[str, float]
    opex_usd_per_year: dict[str, float]

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

    def site(self, name: str) -> SiteCost:
        try:
            return self.site_types[name]
        except KeyError:
            raise CostingError(
                f"cost preset {self.name!r} has no site type {name!r}; "
                f"valid: {', '.join(self.site_types)}"
            ) from None

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
    return {p.name.removesuffix(".yaml"): p for p in folder.iterdir() if p.name.endswith(".yaml")}


COST_PRESETS: tuple[str, ...] = tuple(sorted(_packaged()))
"""Names of the presets shipped with rural_plan."""


def _figure(data: dict[str, Any], key: str, where: str, sources: dict[str, str]) -> float:
    item = data.get(key)
    if not isinstance(item, dict) or "value" not in item or "source" not in item:
        raise CostingError(f"{where}.{key}: needs 'value' and 'source' (every figure cites one)")
    try:
        value = float(item["value"])
    except (TypeError, ValueError):
        raise CostingError(f"{where}.{key}.value: not a number ({item['value']!r})") from None
    if value < 0:
        raise CostingError(f"{where}.{key}.value: must be >= 0, got {value}")
    sources[f"{where}.{key}"] = str(item["source"]).strip()
    return value


def load_preset(name_or_path: str) -> CostPreset:
    """Load a packaged preset by name, or a preset YAML file by path."""
    packaged = _packaged()
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
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise CostingError(f"{path}: cannot read cost preset ({err})") from err
        origin = str(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise CostingError(f"{origin}: not valid YAML ({err})") from err
    if not isinstance(data, dict):
        raise CostingError(f"{origin}: a cost preset must be a YAML mapping")
    return _parse(data, origin)


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
        sites[name] = SiteCost(parts["capex_usd"], parts["opex_usd_per_year"])
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
        by_length.append((float(cls.get("max_length_m", 0)), value))
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
