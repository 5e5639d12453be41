"""The scenario: every input of a plan, validated and immutable.

Units are in field names (``_m``, ``_mhz``, ``_dbm``, ``_usd``); ranges are in
``Field``. ``scenarios/template.yaml`` documents every key. Models are frozen
and reject unknown keys, so a misspelt key is an error, never silently ignored.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    field_validator,
    model_validator,
)

from rural_plan.scenario.files import path_problem
from rural_plan.scenario.names import (
    BACKHAUL_TYPE_NAMES,
    CLUTTER_TYPE_NAMES,
    EXECUTOR_NAMES,
    HATA_ENVIRONMENTS,
    MODEL_VALIDITY,
    PLACEMENT_METHOD_NAMES,
    POLARIZATIONS,
    PROPAGATION_MODEL_NAMES,
    TECHNOLOGIES,
)

PropagationModelName = Literal[PROPAGATION_MODEL_NAMES]  # type: ignore[valid-type]
ExecutorName = Literal[EXECUTOR_NAMES]  # type: ignore[valid-type]
PlacementMethodName = Literal[PLACEMENT_METHOD_NAMES]  # type: ignore[valid-type]
HataEnvironment = Literal[HATA_ENVIRONMENTS]  # type: ignore[valid-type]
Polarization = Literal[POLARIZATIONS]  # type: ignore[valid-type]
Technology = Literal[TECHNOLOGIES]  # type: ignore[valid-type]
ClutterTypeName = Literal[CLUTTER_TYPE_NAMES]  # type: ignore[valid-type]


class _Frozen(BaseModel):
    # allow_inf_nan=False: `.nan` / `.inf` in the YAML are refused as "not a finite number".
    # strict=True: values are taken as the YAML typed them, never converted: `true` is not
    # the number 1, '5' (quoted) is not a number, 5.5 is not a whole number (5 is still a
    # float). Only lists that stand for tuples and strings that name files are converted
    # (``_LAX``).
    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_default=True, allow_inf_nan=False, strict=True
    )


_LAX = Strict(False)
"""A YAML list read as a tuple, or a string as a path: the one conversion a strict model
makes (the values inside stay strict)."""


def _not_a_bool(value):
    if isinstance(value, bool):
        raise ValueError("must be a number, not true / false")
    return value


@functools.lru_cache(maxsize=64)
def metric_crs_problem(code: str) -> str | None:
    """None when ``code`` ('EPSG:32737') is a projected CRS in metres that PROJ knows; else
    what is wrong with it (a grid's cells are square metres: a geographic CRS would make
    ``cell_size_m: 200`` 200 degrees)."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        with rasterio.Env():  # PROJ's complaint goes to the exception, not to stderr
            crs = CRS.from_user_input(code)
            projected, geographic = crs.is_projected, crs.is_geographic
            unit, factor = crs.linear_units_factor if projected else ("", 0.0)
    except CRSError:
        return f"{code} is not a CRS that PROJ knows"
    if geographic:
        return (
            f"{code} is a geographic CRS (degrees); the grid needs a projected CRS in metres, "
            "e.g. the UTM zone of the area (EPSG:326NN north, EPSG:327NN south)"
        )
    if not projected:
        return f"{code} is not a projected CRS; the grid needs one in metres"
    if abs(factor - 1.0) > 1e-9:
        return f"{code} is in {unit}, not metres; the grid needs a projected CRS in metres"
    return None


ProjectedXY = Annotated[float, Field(ge=-2e7, le=2e7)]
"""A coordinate of a projected CRS in metres (no place on earth is farther than 20,000 km
from an origin)."""


Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]


class AreaOfInterest(_Frozen):
    """Where to plan, in WGS84 longitude / latitude. Neither key: the whole overlap
    of the DEM and the population raster."""

    bbox_lonlat: Annotated[tuple[Longitude, Latitude, Longitude, Latitude], _LAX] | None = None
    polygon_lonlat: list[Annotated[tuple[Longitude, Latitude], _LAX]] | None = Field(
        default=None, min_length=3
    )

    @model_validator(mode="after")
    def _one_shape(self) -> AreaOfInterest:
        if self.bbox_lonlat is not None and self.polygon_lonlat is not None:
            raise ValueError("give bbox_lonlat or polygon_lonlat, not both")
        if self.bbox_lonlat is not None:
            w, s, e, n = self.bbox_lonlat
            if not (w < e and s < n):
                raise ValueError(
                    f"bbox_lonlat must be [west, south, east, north] with west < east and "
                    f"south < north, got {list(self.bbox_lonlat)}"
                )
        return self


class SyntheticRegion(_Frozen):
    """A seeded synthetic region generated in memory (the demo): fractal terrain with
    ridges and valleys, villages along the valleys, a fibre point of presence at the
    west edge."""

    size_m: float = Field(40_000.0, ge=2_000.0, le=400_000.0)
    relief_m: float = Field(900.0, ge=0.0, le=8_000.0)
    villages: int = Field(45, ge=1, le=10_000)
    people: float = Field(80_000.0, ge=1.0, le=1e9)
    epsg: int = Field(32737, ge=1024, le=32767)
    """Projected CRS in metres the region is placed in (default UTM 37S, East Africa);
    ``grid.crs`` sets it when this is not given."""
    origin_xy_m: Annotated[tuple[ProjectedXY, ProjectedXY], _LAX] = (500_000.0, 9_000_000.0)
    """Top-left corner (x, y) in the CRS [m]."""

    @field_validator("epsg")
    @classmethod
    def _metric(cls, v: int) -> int:
        problem = metric_crs_problem(f"EPSG:{v}")
        if problem is not None:
            raise ValueError(problem)
        return v


def _existing_file(path: Path) -> Path:
    """An input path must name an existing regular file: not a folder, a named pipe, a
    device or a loop of symbolic links (a name the OS refuses is a problem too), and be
    valid UTF-8 (it is written into provenance.json and passed to GDAL as text)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            "the path is not valid UTF-8 text; rural_plan writes paths into UTF-8 files "
            "and passes them to GDAL: rename it"
        ) from None
    problem = path_problem(path)
    if problem is not None:
        raise ValueError(problem)
    return path


InputFile = Annotated[Path, _LAX, AfterValidator(_existing_file)]
"""Path of an existing input file (resolved against the scenario's folder by the loader)."""


class Inputs(_Frozen):
    """Input files, resolved relative to the scenario YAML. Rasters are GeoTIFF, SRTM
    ``.hgt`` or either inside a ``.zip``; vectors are GeoJSON in EPSG:4326."""

    dem: InputFile | Annotated[list[InputFile], Field(min_length=1)] | None = None
    population: InputFile | None = None
    existing_towers: InputFile | None = None
    """Today's sites: an OpenCelliD cell export (CSV, detected from its header; cells
    grouped into sites), the Giga cell-site CSV, OpenStreetMap masts (GeoJSON; other
    features are skipped and counted) or points (GeoJSON / CSV with lon, lat)."""
    existing_coverage: InputFile | None = None
    """An operator's coverage map: polygons (GeoJSON, optional ``technology`` property) or
    a raster (any CRS; non-zero cells are covered). Its people count as served today."""
    fibre_nodes: InputFile | None = None
    settlements: InputFile | None = None
    candidate_sites: InputFile | None = None
    """Sites the planner proposes (GeoJSON points or CSV with lon, lat): always candidates."""
    pois: InputFile | None = None
    """Points of interest (schools, clinics): the Giga schema (poi_id, lat, lon, poi_type,
    is_connected, ...) as CSV or GeoJSON, or OSM points (amenity / poi_kind)."""
    exclusions: InputFile | None = None
    land_cover: InputFile | None = None
    """A categorical land-cover raster (any CRS, e.g. ESA WorldCover): the clutter type of
    each cell (``radio.clutter.land_cover_classes``)."""
    roads: InputFile | None = None
    """Road centre lines (GeoJSON LineStrings, e.g. OSM highways): fibre extensions follow
    them; without it a fibre route is the straight line × the preset's detour factor."""
    synthetic: SyntheticRegion | None = None

    @model_validator(mode="after")
    def _terrain_source(self) -> Inputs:
        rasters = self.dem is not None or self.population is not None
        if self.synthetic is not None and rasters:
            raise ValueError("give either synthetic or dem + population, not both")
        if self.synthetic is None and (self.dem is None or self.population is None):
            missing = [k for k in ("dem", "population") if getattr(self, k) is None]
            raise ValueError(
                f"missing {' and '.join(missing)}: give dem and population files, "
                "or synthetic: {}"
            )
        return self

    @property
    def dem_paths(self) -> tuple[Path, ...]:
        """The DEM tiles as a tuple (one or more files)."""
        if self.dem is None:
            return ()
        return tuple(self.dem) if isinstance(self.dem, list) else (self.dem,)


class GridSpec(_Frozen):
    """The one metric grid every stage works on."""

    cell_size_m: float = Field(90.0, ge=10.0, le=1_000.0)
    crs: str | None = None
    """Projected CRS as 'EPSG:NNNNN'; default: the local UTM zone of the area."""
    dem_voids: Literal["fill", "error"] = "fill"
    """DEM nodata holes: 'fill' interpolates them (and counts them), 'error' refuses."""
    max_void_fill_m: float = Field(2_000.0, ge=0.0, le=100_000.0)
    """Holes farther than this from valid terrain are outside the data: masked, counted."""
    sea_level_m: float = Field(0.0, ge=-500.0, le=500.0)
    """Cells at or below this elevation are sea: no people, no sites."""
    population_max_move_m: float = Field(1_000.0, ge=0.0, le=20_000.0)
    """People that the resampling puts on a sea cell move to the nearest land cell within
    this distance (coastlines of 100 m population rasters straddle 30 m cells)."""
    demand_cell_m: float = Field(100.0, ge=10.0, le=5_000.0)
    """Edge of the demand cells coverage is counted on: blocks of whole grid cells (the
    nearest multiple of cell_size_m, at least one), people summed (conserved); a block is
    covered when its most populous cell is."""

    @field_validator("crs")
    @classmethod
    def _epsg(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"EPSG:\d{4,5}", v):
            raise ValueError(f"crs must look like 'EPSG:32738', got {v!r}")
        problem = None if v is None else metric_crs_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v


class ItmParams(_Frozen):
    """ITM (Longley-Rice) settings (NTIA ITM v1.2.2 inputs)."""

    climate: int = Field(5, ge=1, le=7)
    """1 equatorial, 2 continental subtropical, 3 maritime subtropical, 4 desert,
    5 continental temperate, 6 maritime temperate over land, 7 maritime temperate over sea."""
    n0: float = Field(301.0, ge=250.0, le=400.0)
    """Surface refractivity reduced to sea level [N-units]; scaled to the terrain as NTIA does."""
    epsilon: float = Field(15.0, ge=1.0, le=100.0)
    """Relative permittivity of the ground."""
    sigma_s_per_m: float = Field(0.005, gt=0.0, le=10.0)
    """Ground conductivity [S/m]."""
    mdvar: int = Field(12, ge=0, le=33)
    """Variability mode: 0 single message, 1 accidental, 2 mobile, 3 broadcast; +10 no
    location variability, +20 no direct situation variability. Default 12: mobile, with
    location variability removed, because ITM runs on each cell's own terrain profile
    (known point by point), so only time and situation variability remain; ``rural-plan
    path`` uses the same default."""
    time_pct: float = Field(50.0, gt=0.0, lt=100.0)
    location_pct: float = Field(50.0, gt=0.0, lt=100.0)
    situation_pct: float = Field(50.0, gt=0.0, lt=100.0)


class HataParams(_Frozen):
    """Okumura-Hata / COST-231 Hata environment."""

    environment: HataEnvironment = "open"


class RmaParams(_Frozen):
    """3GPP TR 38.901 rural macro (RMa) geometry."""

    building_height_m: float = Field(5.0, ge=5.0, le=50.0)
    street_width_m: float = Field(20.0, ge=5.0, le=50.0)


class ClutterSpec(_Frozen):
    """The clutter around the handset: ITU-R P.2108-1 §3.1 (height-gain terminal
    correction) by each cell's clutter type, from a land-cover raster, else from the
    population density, else one type for the whole area."""

    model: Literal["p2108", "none"] = "p2108"
    """p2108: each cell loses P.2108-1 §3.1's correction for a handset at radio.rx_height_m
    in its clutter (30 MHz-3 GHz); none: no clutter loss but radio.clutter_loss_db."""
    type: ClutterTypeName | None = None
    """One clutter type for every land cell (overrides land cover and density)."""
    street_width_m: float = Field(27.0, gt=0.0, le=500.0)
    """Street width w_s [m]: P.2108-1 §3.1's advice where no local value is known."""
    height_m: dict[ClutterTypeName, Annotated[float, Field(gt=0.0, le=200.0)]] = Field(
        default_factory=dict
    )
    """Representative clutter height R [m] by type, replacing P.2108-1 Table 3's (water/sea,
    open/rural, suburban 10; urban, trees/forest 15; dense urban 20)."""
    land_cover_classes: dict[int, ClutterTypeName] | None = None
    """Clutter type of each class of inputs.land_cover; None: the ESA WorldCover 2020/2021
    mapping (``propagation.clutter_map.WORLDCOVER_CLUTTER``). A class found in the raster
    and missing here is an error."""
    urban_people_per_km2: float = Field(1_500.0, gt=0.0, le=1e6)
    """Without land cover: cells whose ~1 km² neighbourhood holds at least this density are
    urban (GHSL degree of urbanisation: urban centre, 1,500 inhabitants per km²)."""
    suburban_people_per_km2: float = Field(300.0, gt=0.0, le=1e6)
    """... and at least this, suburban (GHSL urban cluster, 300 per km²); the rest is open /
    rural."""

    @model_validator(mode="after")
    def _densities(self) -> ClutterSpec:
        if self.suburban_people_per_km2 > self.urban_people_per_km2:
            raise ValueError("suburban_people_per_km2 must not exceed urban_people_per_km2")
        return self


class Radio(_Frozen):
    """Link budget of the handset side and the propagation model."""

    model: PropagationModelName = "delta-bullington"
    """Default: free space plus the delta-Bullington diffraction of ITU-R P.526 / P.1812 on
    each cell's terrain profile: the ITU-R method, and fast enough for thousands of
    candidates; ``itm`` (Longley-Rice) for a final check."""
    allow_extrapolation: bool = False
    """Use a model outside its published validity range (otherwise that is an error)."""
    polarization: Polarization = "vertical"
    itm: ItmParams = Field(default_factory=ItmParams)
    hata: HataParams = Field(default_factory=HataParams)
    rma: RmaParams = Field(default_factory=RmaParams)
    frequency_mhz: float = Field(900.0, ge=30.0, le=6_000.0)
    rx_height_m: float = Field(1.5, ge=0.5, le=30.0)
    k_factor: float = Field(4.0 / 3.0, ge=0.5, le=100.0)
    """Effective earth radius factor (4/3: standard atmosphere)."""
    radius_m: float = Field(15_000.0, ge=500.0, le=100_000.0)
    """Largest distance from a site at which a cell is evaluated."""
    rx_threshold_dbm: float = Field(-100.0, ge=-150.0, le=-40.0)
    """Downlink: the handset needs at least this received power."""
    rx_antenna_gain_dbi: float = Field(0.0, ge=-10.0, le=20.0)
    ue_tx_power_dbm: float = Field(23.0, ge=0.0, le=33.0)
    """Uplink: handset transmit power (23 dBm is LTE power class 3)."""
    bs_sensitivity_dbm: float = Field(-115.0, ge=-150.0, le=-60.0)
    """Uplink: base-station receiver sensitivity."""
    location_probability_pct: float = Field(90.0, gt=1.0, lt=99.0)
    """A cell is covered when the link closes at this share of its locations [%]: the
    loss budget loses Q⁻¹(1 − p) σ_L (90 %: the confidence Ofcom's UK coverage obligations
    use, "with 90% confidence")."""
    location_sigma_db: float | None = Field(None, ge=0.0, le=30.0)
    """Location variability σ_L [dB]; None: ITU-R P.1812-6 §4.8,
    σ_L = (0.52 + 0.024 f_GHz) w_a^0.28 over demand cells of w_a = grid.demand_cell_m
    (≈ 1.97 dB at 900 MHz and 100 m), the handset being in clutter."""
    fade_margin_db: float = Field(0.0, ge=0.0, le=40.0)
    """An extra margin subtracted from both budgets [dB], on top of the location
    probability's."""
    clutter: ClutterSpec = Field(default_factory=ClutterSpec)
    clutter_loss_db: float = Field(0.0, ge=0.0, le=60.0)
    """An extra loss near the handset not in the clutter model (e.g. body loss) [dB]."""
    check_uplink: bool = True
    """A cell is covered only when both downlink and uplink close."""

    @model_validator(mode="after")
    def _clutter_band(self) -> Radio:
        if self.clutter.model == "p2108" and not 30.0 <= self.frequency_mhz <= 3000.0:
            raise ValueError(
                f"radio.frequency_mhz={self.frequency_mhz:g} is outside ITU-R P.2108-1 §3.1's "
                "30..3000 MHz: set radio.clutter.model: none (and radio.clutter_loss_db)"
            )
        return self


class SiteType(_Frozen):
    """One kind of site that can be built at a candidate location. Radio values here,
    money in the cost preset (under ``cost_item``)."""

    mast_height_m: float = Field(ge=2.0, le=150.0)
    eirp_dbm: float = Field(ge=10.0, le=80.0)
    """Downlink EIRP per sector, antenna gain and cable loss included."""
    antenna_gain_dbi: float = Field(15.0, ge=0.0, le=25.0)
    cable_loss_db: float = Field(1.0, ge=0.0, le=10.0)
    power_w: float = Field(ge=1.0, le=50_000.0)
    """Average electrical load of the site."""
    sectors: Annotated[Literal[1, 3], BeforeValidator(_not_a_bool)] = 1
    """1: one antenna (omni when beamwidth_deg is 360); 3: three sectors 120° apart."""
    beamwidth_deg: float = Field(360.0, ge=10.0, le=360.0)
    """Horizontal half-power beamwidth of each antenna (65° is typical for 3 sectors)."""
    front_to_back_db: float = Field(20.0, ge=0.0, le=60.0)
    """Largest pattern attenuation A_m (3GPP TR 36.814 horizontal pattern)."""
    azimuth_deg: float = Field(0.0, ge=0.0, lt=360.0)
    """Boresight of the first sector, clockwise from grid north."""
    cost_item: str | None = None
    """Name of this type's entry under ``site_types`` in the cost preset; default: the
    type's own name."""
    power_source: Literal["solar", "diesel", "grid", "included"] | None = None
    """How the site is powered (``costing.POWER_SOURCES``): PV + battery sized from power_w,
    a diesel generator, a grid connection, or ``included`` in the preset's own items; None:
    the preset's default for the type (solar for light_pole, diesel for macro_tower)."""
    capacity_users: float | None = Field(None, gt=0.0, le=1e8)
    """Subscribers one site of this type is designed for; None: the cost preset's cited
    figure for its cost item (``site_types.<item>.capacity_users``; a light site 1,500).
    A site serves at most capacity_users / cost.adoption_share people."""
    capacity_people: float | None = Field(None, gt=0.0, le=1e9)
    """Most people one site of this type can serve, given directly (overrides
    capacity_users); None: from capacity_users. Every plan reports the people its sites
    serve within these caps (``people_newly_served``); placement.method greedy also
    chooses the sites by it (local-search and milp choose by people covered)."""


def _default_site_types() -> dict[str, SiteType]:
    return {"light_pole": SiteType(mast_height_m=15.0, eirp_dbm=56.0, power_w=150.0)}


class Candidates(_Frozen):
    """Where a site could go, in priority order: the planner's own sites, village centres
    (population-weighted cluster peaks), settlement points, terrain highs near villages,
    existing masts (co-location), and a regular grid over populated land."""

    village_radius_m: float = Field(1_000.0, ge=50.0, le=20_000.0)
    village_min_people: float = Field(100.0, ge=0.0)
    grid_spacing_m: float = Field(3_000.0, ge=100.0, le=100_000.0)
    grid_min_people: float = Field(10.0, ge=0.0)
    """A grid point is kept when at least this many people live within half a spacing."""
    hilltop_radius_m: float = Field(1_500.0, ge=0.0, le=20_000.0)
    """Search this far from each village centre for its highest land cell (0: no hilltops)."""
    hilltop_min_gain_m: float = Field(20.0, ge=0.0, le=2_000.0)
    """A hilltop is a candidate when it stands at least this much above the village centre."""
    colocate_existing: bool = True
    """Existing masts (inputs.existing_towers) are candidate locations too."""
    min_spacing_m: float = Field(300.0, ge=0.0, le=50_000.0)
    max_candidates: int = Field(2_000, ge=1, le=1_000_000)


class Placement(_Frozen):
    """How sites are chosen."""

    method: PlacementMethodName = "local-search"
    """greedy | local-search (greedy improved by swaps and site-type changes) | milp (exact,
    HiGHS, within the time limit; reports bound and gap)."""
    time_limit_s: float = Field(120.0, gt=0.0, le=86_400.0)
    """Wall-time limit of the MILP (and of local search)."""
    budget_curve_points: int = Field(25, ge=2, le=500)
    """Points of the people-against-investment curve (budget_curve.csv)."""
    budget_curve_backhaul_points: int = Field(25, ge=0, le=500)
    """Most points of that curve re-costed with their sites' designed backhaul, as the
    plan is (budget_curve.csv ``backhaul_usd``, ``cost_designed_usd``), evenly spread,
    the last and the first included; the others keep only placement's estimate (0: no
    point re-costed). Each distinct choice costs one backhaul design (up to ~0.5 s at a
    hundred sites): 25 points add about 3-5 s to the demo and to Ngazidja."""
    poi_weight_people: dict[str, Annotated[float, Field(ge=0.0, le=1e7)]] = Field(
        default_factory=dict
    )
    """Extra weight in the objective, in people, of each POI of a type that the existing
    network does not serve (e.g. {school: 500, health: 1000}: anchor institutions first).
    Types: school, health, or a raw poi_type. Reported people never include it."""
    coverage_target_share: float | None = Field(None, gt=0.0, le=1.0)
    """Minimise cost to newly cover this share of the people not served today, within
    budget_usd (None: maximise people newly covered under budget_usd)."""
    objective: Literal["auto", "covered", "served"] = "auto"
    """What placement maximises: ``covered``, the people newly covered; ``served``, the
    people newly served within the site types' capacities (a maximum flow; greedy and
    local-search); ``auto``: served for greedy, covered for local-search and milp.
    Measured with the designed backhaul (benchmarks/RESULTS.md), the covered objective gave
    more people served per 1,000 USD: demo 65.99 against 51.60, Ngazidja 13.61 against
    13.37. Serving sites to their caps places them where covering most people would
    not, and there the backhaul that placement prices as one satellite terminal each
    came out dearer."""

    @model_validator(mode="after")
    def _objective_method(self) -> Placement:
        if self.objective == "served" and self.method == "milp":
            raise ValueError(
                "objective 'served' needs method 'greedy' or 'local-search' (the MILP does "
                "not model site capacity); use objective 'covered' or 'auto' with milp"
            )
        return self


class Cost(_Frozen):
    """Which cost preset prices the plan, the horizon of the net present cost, the site
    conditions of the power model, the optional revenue side and the sensitivity run."""

    preset: str = "default"
    """A packaged preset name (``costing.COST_PRESETS``: comoros, default, lean-macro), or
    a path to a preset YAML (relative to the scenario)."""
    overrides: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    """Preset figures replaced by your own values, by key path (e.g.
    ``power.diesel.fuel_price_usd_per_l: 1.43``); cost_sources marks them as user values."""
    horizon_years: int = Field(10, ge=1, le=50)
    discount_rate: float = Field(0.08, ge=0.0, le=0.5)
    """Real discount rate per year, as a fraction (0.08 = 8 %)."""
    peak_sun_hours: float = Field(5.0, gt=0.0, le=12.0)
    """Daily solar irradiation on the panels [kWh/m² per day, i.e. hours at 1 kW/m²] at the
    sites: a user value; read it for your area from the Global Solar Atlas (GTI) or NREL's
    NSRDB (the Comoros: about 5.5). Sizes the PV array of solar sites."""
    battery_autonomy_days: float = Field(2.0, gt=0.0, le=14.0)
    """Days a solar site's battery carries the load without sun."""
    arpu_usd_per_month: float | None = Field(None, ge=0.0, le=1_000.0)
    """Average revenue per subscriber and month [USD]; None: no revenue side (no payback,
    viability gap or affordability). pytal uses 1-3.5 for Malawi and Uganda."""
    adoption_share: float = Field(0.43, ge=0.0, le=1.0)
    """Share of the people newly covered who subscribe (GSMA: 43 % of Sub-Saharan Africa's
    population were unique mobile subscribers at the end of 2022)."""
    gni_per_capita_usd: float | None = Field(None, gt=0.0, le=1e6)
    """GNI per capita [USD/yr]: the ARPU is checked against 2 % of monthly GNI per capita
    (Broadband Commission affordability target); None: no affordability check."""
    sensitivity: bool = True
    """Write the tornado of every preset figure over its stated range (sensitivity.csv)."""
    monte_carlo_samples: int = Field(0, ge=0, le=100_000)
    """Draws of all figures at once (seeded by ``seed``) for P5 / P50 / P95; 0: none."""


class FibreNode(_Frozen):
    name: str = Field(min_length=1, max_length=200)
    lon: Longitude
    lat: Latitude


class Backhaul(_Frozen):
    """How sites reach the core network."""

    fibre_nodes: list[FibreNode] = Field(default_factory=list)
    """Fibre points of presence given inline (added to inputs.fibre_nodes)."""
    microwave_max_hop_m: float = Field(40_000.0, ge=500.0, le=150_000.0)
    microwave_frequency_mhz: float = Field(15_000.0, ge=1_000.0, le=90_000.0)
    fresnel_clearance: float = Field(0.6, ge=0.0, le=1.5)
    """Fraction of the first Fresnel zone the terrain must leave clear (k-factor as radio)."""
    satellite_mbps_per_site: float = Field(10.0, gt=0.0, le=10_000.0)
    """Capacity bought per satellite terminal (priced per Mbps per year)."""
    fibre_mast_height_m: float = Field(30.0, ge=2.0, le=150.0)
    """Height of the microwave antenna at a fibre point of presence."""
    allowed: Annotated[tuple[str, ...], _LAX] = Field(
        ("fibre", "microwave", "relay", "satellite"), min_length=1
    )
    """Link types the design may use (``rural_plan.scenario.names.BACKHAUL_TYPE_NAMES``); without
    satellite a site no other link reaches is an error."""
    busy_hour_mbps_per_user: float = Field(0.04, ge=0.0, le=100.0)
    """Busy-hour demand per subscriber [Mbps]; a site's demand is the people it covers ×
    cost.adoption_share × this. Default: pytal's rural target of 2 Mbps per user
    (scripts/options.py, scenario S1_25_10_2) over its overbooking factor 50
    (scripts/run.py @01a654da) = 0.04."""
    microwave_capacity_mbps: float = Field(400.0, gt=0.0, le=100_000.0)
    """What one microwave hop carries: about a 56 MHz channel at 256-QAM (derived:
    56 MHz × ~7 bit/s/Hz ≈ 400 Mbps)."""
    max_mast_raise_m: float = Field(15.0, ge=0.0, le=100.0)
    """A hop that fails clearance may raise its masts (not a donor tower's) by up to this
    much at each end, priced per metre by the cost preset; 0: never."""
    mast_raise_step_m: float = Field(5.0, gt=0.0, le=50.0)
    relay_max_hop_m: float = Field(12_200.0, ge=100.0, le=50_000.0)
    """Longest LTE / radio relay hop (Giga cost model: cellular maximum_range 12,200 m);
    a relay needs line of sight over the k-factor earth."""
    relay_max_depth: int = Field(2, ge=1, le=10)
    """Most relay hops in a row below a site or tower with another uplink."""
    relay_capacity_mbps: float = Field(50.0, gt=0.0, le=10_000.0)
    """What one relay carries (half the 100 Mbps Giga allows a cellular link: the relay
    shares its donor cell)."""
    fibre_capacity_mbps: float = Field(2_000.0, gt=0.0, le=1_000_000.0)
    """What one fibre extension carries (Giga cost model: fiber maximum_bandwithd 2000)."""
    donor_capacity_mbps: float = Field(100.0, ge=0.0, le=100_000.0)
    """Spare backhaul capacity of each existing tower (inputs.existing_towers) that may
    feed new sites by relay or microwave, at no cost (a user value)."""
    microwave_availability_pct: float = Field(99.99, ge=99.0, le=99.999)
    """Share of an average year a microwave hop must stay up against rain (ITU-R P.530-17
    §2.4.1 holds for 99 … 99.999 %). Default: 99.99 %, the usual objective of a
    carrier-grade access hop (52.6 min a year down; 99.999 % is asked of aggregation
    hops)."""
    microwave_tx_power_dbm: float = Field(20.0, ge=-10.0, le=40.0)
    """Transmit power at the antenna port [dBm] at the modulation the availability is
    judged at. Default: an assumption at the low end of licensed 6-23 GHz outdoor units'
    QPSK output (about +20 to +27 dBm); set your radio's."""
    microwave_dish_diameter_m: float = Field(0.6, ge=0.1, le=4.0)
    """Dish diameter at both ends [m]; gain by ITU-R F.699-8: 20·log10(D/λ) + 7.7 dBi
    (0.6 m at 15 GHz: 37.2 dBi). Default 0.6 m, the common size for access hops."""
    microwave_rx_threshold_dbm: float = Field(-85.0, ge=-120.0, le=-20.0)
    """Receiver threshold [dBm] below which the hop is down. Default: QPSK on a 56 MHz
    channel at BER 1e-6, -85 dBm (RACOM RAy17 user manual, technical parameters): with
    adaptive modulation the hop stays up at its lowest modulation, at less than
    microwave_capacity_mbps (the clear-air figure)."""
    microwave_polarization: Literal["vertical", "horizontal"] = "vertical"
    """Polarisation of the hops (ITU-R P.838-3 coefficients); vertical fades less in
    rain, the usual choice where rain limits the hop."""
    rain_rate_001_mm_per_h: float | None = Field(None, ge=0.0, le=300.0)
    """Rain rate exceeded 0.01 % of an average year [mm/h]; null: ITU-R P.837-7's maps at
    each hop's midpoint (about 100 mm/h over the Comoros)."""
    relay_frequency_mhz: float | None = Field(None, ge=30.0, le=6_000.0)
    """Band of relay hops [MHz] (their clearance is told in F1 at it); null: radio.frequency_mhz,
    as an in-band LTE relay runs in the access band."""

    @field_validator("allowed")
    @classmethod
    def _known_types(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in BACKHAUL_TYPE_NAMES:
                raise ValueError(
                    f"unknown backhaul type {name!r}; valid: {', '.join(BACKHAUL_TYPE_NAMES)}"
                )
        return value


class ExistingNetwork(_Frozen):
    """Today's network (``inputs.existing_towers``, ``inputs.existing_coverage``): which of
    its sites count as serving people, and values for sites whose file does not give them
    (``height_m``, ``eirp_dbm``)."""

    default_height_m: float = Field(30.0, ge=2.0, le=300.0)
    """Antenna height of a site whose file gives none [m] (a typical rural macro mast:
    pysim5g's ``tx_baseline_height`` is 30 m)."""
    default_eirp_dbm: float = Field(60.0, ge=10.0, le=80.0)
    antenna_gain_dbi: float = Field(15.0, ge=0.0, le=25.0)
    """Base-station receive antenna gain (uplink budget of existing towers)."""
    cable_loss_db: float = Field(1.0, ge=0.0, le=10.0)
    site_merge_m: float = Field(250.0, ge=0.0, le=5_000.0)
    """OpenCelliD cells of one operator whose positions lie within this distance [m] form
    one site. OpenCelliD positions are estimated from crowd-sourced measurements, so the
    sectors of one site scatter by up to a few hundred metres; LTE cells of one eNodeB
    (cell id // 256) are one site whatever the distance."""
    serving_technologies: Annotated[tuple[Technology, ...], _LAX] = Field(
        ("2G", "3G", "4G", "5G"), min_length=1
    )
    """Generations that count as serving a person today: e.g. [4G] for a 4G plan, so that
    only sites carrying 4G (and coverage polygons of 4G) count as served before."""
    unknown_technology_serves: bool = True
    """A site or coverage polygon whose file does not say its technology counts as serving
    (false: it does not)."""


class Baseline(_Frozen):
    """The official figure the modelled network is checked against, and an explicit
    assumption for areas whose towers are not known."""

    reported_coverage_pct: float | None = Field(None, ge=0.0, le=100.0)
    """Share of the people served by a mobile signal today according to a published
    figure [%]; None: no check."""
    source: str = Field("", max_length=1_000)
    """Where that figure comes from (publisher, document, year): required with it."""
    warn_above_points: float = Field(10.0, ge=0.0, le=100.0)
    """Warn (summary.json ``baseline_warning``, diagnose, report) when the modelled share
    served today differs from the reported one by more than this [percentage points]."""
    fill_to_reported: bool = False
    """An explicit, labelled assumption for when the towers are not known: the most populous
    demand cells not modelled as served are assumed served until the share served today
    reaches the reported one (people newly covered then counts only the rest)."""

    @model_validator(mode="after")
    def _cited(self) -> Baseline:
        if self.reported_coverage_pct is not None and not self.source.strip():
            raise ValueError("reported_coverage_pct needs its source (baseline.source)")
        if self.fill_to_reported and self.reported_coverage_pct is None:
            raise ValueError("fill_to_reported needs baseline.reported_coverage_pct")
        return self


class Budget(_Frozen):
    """How the money comes, beyond the total (``budget_usd``)."""

    per_year_usd: float | None = Field(None, gt=0.0, le=1e13)
    """CAPEX the plan may spend in one year (sites and their backhaul share): the sites
    are built in yearly phases, most people served per dollar first (``cashflow.csv``,
    ``sites.csv`` ``rollout_year``); None: everything is built in year 1."""


class Outputs(_Frozen):
    coverage_tif: bool = True
    alternatives: bool = True
    """Plan the single choices beside the plan, from the same coverage (one site type
    only, one backhaul type only) into alternatives.csv and the report."""


class Limits(_Frozen):
    """Guards that refuse a scenario before it runs into the machine's or the data's limits."""

    max_memory_gb: float | None = Field(None, gt=0.0, le=100_000.0)
    """Refuse the run when its estimated peak memory exceeds this [GB] (``rural-plan run
    --max-memory-gb`` overrides it); None: the memory available when the run starts."""
    max_people_per_km2: float = Field(5_000.0, gt=0.0, le=1e7)
    """Refuse a population raster whose people per km² over the area exceed this on
    average (a density raster given instead of counts per cell)."""


_DASK_ADDRESS = re.compile(r"(?:(tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})")


def dask_address(text: str) -> str:
    """A Dask scheduler address as ``tcp://HOST:PORT`` (``HOST:PORT`` gets ``tcp://``).

    >>> dask_address("10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    """
    m = _DASK_ADDRESS.fullmatch(text.strip())
    if not m or not 1 <= int(m.group(3)) <= 65_535:
        raise ValueError(
            f"expected HOST:PORT or tcp://HOST:PORT (port 1..65535), e.g. "
            f"tcp://10.0.0.5:8786, got {text!r}"
        )
    return f"{m.group(1) or 'tcp'}://{m.group(2)}:{int(m.group(3))}"


class ExecutorSettings(_Frozen):
    """Where propagation runs. Every executor gives the same results, byte for byte; only
    the time differs (recorded in provenance.json)."""

    name: ExecutorName = "local"
    """local: this process, numba threads | dask: a dask.distributed cluster."""
    dask_address: str | None = None
    """Scheduler of a running cluster, 'tcp://HOST:PORT' (or 'HOST:PORT'); None: start a
    LocalCluster of dask_workers processes on this machine."""
    dask_workers: int = Field(2, ge=1, le=1_024)
    """Worker processes of the LocalCluster (one thread each; no effect with an address)."""
    chunk_options: int | None = Field(None, ge=1, le=1_000_000)
    """Options (candidate location x site type) per Dask task, whole locations (a task is
    also capped by memory: 256 MB of loss windows); None: about 8 tasks per worker, at
    most 64 options each."""

    @field_validator("dask_address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        return None if v is None else dask_address(v)


class Scenario(_Frozen):
    """A complete, validated plan request."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    seed: int = Field(0, ge=0, le=2**32 - 1)
    area: AreaOfInterest = Field(default_factory=AreaOfInterest)
    inputs: Inputs
    grid: GridSpec = Field(default_factory=GridSpec)
    radio: Radio = Field(default_factory=Radio)
    site_types: dict[str, SiteType] = Field(default_factory=_default_site_types, min_length=1)
    candidates: Candidates = Field(default_factory=Candidates)
    budget_usd: float = Field(gt=0.0, le=1e13)
    budget_basis: Literal["tco", "capex"] = "tco"
    """What the budget limits: the net present cost over the horizon, or CAPEX only."""
    budget: Budget = Field(default_factory=Budget)
    placement: Placement = Field(default_factory=Placement)
    cost: Cost = Field(default_factory=Cost)
    backhaul: Backhaul = Field(default_factory=Backhaul)
    existing_network: ExistingNetwork = Field(default_factory=ExistingNetwork)
    baseline: Baseline = Field(default_factory=Baseline)
    outputs: Outputs = Field(default_factory=Outputs)
    limits: Limits = Field(default_factory=Limits)
    executor: ExecutorSettings = Field(default_factory=ExecutorSettings)
    """Where propagation runs (``rural-plan run --executor`` overrides it)."""
    source_path: Annotated[Path, _LAX] | None = Field(default=None, exclude=True)
    """The YAML file this scenario came from (set by the loader; not a YAML key)."""

    def files(self) -> tuple[Path, ...]:
        """Every file this scenario reads: its YAML and each input (and a cost preset
        given as a file). An output folder holding one of them is never replaced."""
        out = [] if self.source_path is None else [self.source_path]
        for name in type(self.inputs).model_fields:
            value = getattr(self.inputs, name)
            values = value if isinstance(value, list) else [value]
            out += [v for v in values if isinstance(v, Path)]
        if self.cost.preset.endswith((".yaml", ".yml")):
            out.append(Path(self.cost.preset))
        return tuple(out)

    @model_validator(mode="before")
    @classmethod
    def _synthetic_in_grid_crs(cls, data):
        """``grid.crs`` places a synthetic region that does not name its own ``epsg``
        (without this, grid.crs would be ignored for synthetic input)."""
        if not isinstance(data, dict):
            return data
        grid, inputs = data.get("grid"), data.get("inputs")
        synthetic = inputs.get("synthetic") if isinstance(inputs, dict) else None
        crs = grid.get("crs") if isinstance(grid, dict) else None
        if isinstance(synthetic, dict) and "epsg" not in synthetic and isinstance(crs, str):
            m = re.fullmatch(r"EPSG:(\d{4,5})", crs)
            if m and metric_crs_problem(crs) is None:  # else grid.crs's own problem
                synthetic = {**synthetic, "epsg": int(m.group(1))}
                data = {**data, "inputs": {**inputs, "synthetic": synthetic}}
        return data

    @model_validator(mode="after")
    def _one_crs(self) -> Scenario:
        synthetic, crs = self.inputs.synthetic, self.grid.crs
        if synthetic is not None and crs is not None and crs != f"EPSG:{synthetic.epsg}":
            raise ValueError(
                f"grid.crs is {crs} but the synthetic region is generated in "
                f"inputs.synthetic.epsg {synthetic.epsg}; give one of them (or the same CRS)"
            )
        return self

    @model_validator(mode="after")
    def _model_validity(self) -> Scenario:
        r = self.radio
        limits = MODEL_VALIDITY.get(r.model)
        if not limits or r.allow_extrapolation:
            return self
        problems = validity_problems(
            r.model,
            {
                "f_mhz": [("radio.frequency_mhz", r.frequency_mhz)],
                "h_rx_m": [("radio.rx_height_m", r.rx_height_m)],
                "h_tx_m": [
                    (f"site_types.{k}.mast_height_m", t.mast_height_m)
                    for k, t in self.site_types.items()
                ],
                "d_m": [("radio.radius_m", r.radius_m)],
            },
        )
        if problems:
            raise ValueError(
                f"radio.model {r.model!r} is outside its validity range: {'; '.join(problems)}; "
                "set radio.allow_extrapolation: true to use it anyway"
            )
        return self


def validity_problems(model: str, values: dict[str, list[tuple[str, float]]]) -> list[str]:
    """``key=value (valid lo..hi)`` for each value outside ``model``'s published validity
    range (``MODEL_VALIDITY``); ``values`` maps its parameters (f_mhz, h_rx_m, h_tx_m, d_m)
    to (key, value) pairs, the key as the caller names it (a scenario key, a flag). Only a
    radius beyond the largest distance is a problem (shorter cells are evaluated at the
    model's minimum distance)."""
    problems = []
    for param, (lo, hi) in MODEL_VALIDITY.get(model, {}).items():
        for key, value in values.get(param, []):
            too_far = param == "d_m" and value > hi
            if too_far or (param != "d_m" and not lo <= value <= hi):
                problems.append(f"{key}={value:g} (valid {lo:g}..{hi:g})")
    return problems


def field_default(model: type[BaseModel], name: str):
    """The schema's default of ``model.name`` (the one home of every default)."""
    return model.model_fields[name].get_default(call_default_factory=True)


def field_range(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """(lowest, highest) value the schema allows for ``model.name`` (None: unbounded);
    exclusive bounds are returned as they are."""
    lo = hi = None
    for m in model.model_fields[name].metadata:
        lo = getattr(m, "ge", getattr(m, "gt", lo))
        hi = getattr(m, "le", getattr(m, "lt", hi))
    return lo, hi
