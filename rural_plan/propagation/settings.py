"""The propagation stage's settings, built from a scenario in one place.

:class:`RadioSettings` is what the point-to-area kernels read besides the sites; the
functions below turn the scenario's ``radio`` and ``site_types`` sections into it, into
each site type's antenna pattern window and into each site's loss budget. Defaults and
ranges live in the scenario schema only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rural_plan.propagation.antenna import pattern_window
from rural_plan.propagation.clutter_map import location_margin_db
from rural_plan.propagation.link_budget import max_path_loss_db
from rural_plan.scenario.names import HATA_ENVIRONMENTS
from rural_plan.scenario.schema import ItmParams, Radio, Scenario

if TYPE_CHECKING:
    from rural_plan.grid.grid import Grid


@dataclass(frozen=True)
class RadioSettings:
    """What the propagation kernels need beyond the sites themselves."""

    model: str
    f_mhz: float
    h_rx_m: float
    k_factor: float
    radius_m: float
    params: tuple[float, ...] = ()
    """Model parameters, in the order the model's kernel reads them (:func:`model_params`)."""

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> RadioSettings:
        """The scenario's model, frequency, handset height, k-factor, radius and model
        parameters."""
        return cls.from_radio(scenario.radio)

    @classmethod
    def from_radio(cls, r: Radio) -> RadioSettings:
        """The same from a ``radio`` section alone (``rural-plan coverage``)."""
        return cls(r.model, r.frequency_mhz, r.rx_height_m, r.k_factor, r.radius_m, radio_params(r))

    def radius_cells(self, grid: Grid) -> int:
        """The radius in whole cells of ``grid`` (at least one)."""
        # The tolerance keeps float noise (730.0000000001 / 10) from adding a ring of cells.
        return max(1, math.ceil(self.radius_m / grid.cell_size_m - 1e-9))


def itm_params(itm: ItmParams, *, vertical: bool) -> tuple[float, ...]:
    """ITM's parameter vector as the kernel reads it (``_radial.ray_losses``): N_0,
    polarisation (1 vertical), ε_r, σ [S/m], climate, mdvar, time / location / situation
    percentages."""
    return (
        itm.n0,
        float(vertical),
        itm.epsilon,
        itm.sigma_s_per_m,
        float(itm.climate),
        float(itm.mdvar),
        itm.time_pct,
        itm.location_pct,
        itm.situation_pct,
    )


def model_params(scenario: Scenario) -> tuple[float, ...]:
    """The parameter vector the scenario's model kernel reads (see ``_radial.ray_losses``)."""
    return radio_params(scenario.radio)


def radio_params(r: Radio) -> tuple[float, ...]:
    """The parameter vector the kernel of ``r.model`` reads, from a ``radio`` section."""
    vertical = r.polarization == "vertical"
    if r.model == "itm":
        return itm_params(r.itm, vertical=vertical)
    if r.model in ("okumura-hata", "cost231-hata"):
        return (float(HATA_ENVIRONMENTS.index(r.hata.environment)),)
    if r.model == "3gpp-rma":
        return (r.rma.building_height_m, r.rma.street_width_m)
    if r.model == "delta-bullington":
        return (2.0 if vertical else 1.0,)  # P.1812 convention: 1 horizontal, 2 vertical
    return ()


def site_patterns(scenario: Scenario, radio: RadioSettings, cell_size_m: float) -> np.ndarray:
    """Pattern attenuation windows [dB], one per site type (in ``scenario.site_types``
    order), on cells of ``cell_size_m`` [m]."""
    radius = max(1, int(np.ceil(radio.radius_m / cell_size_m)))
    return np.stack(
        [
            pattern_window(
                radius,
                sectors=st.sectors,
                beamwidth_deg=st.beamwidth_deg,
                front_to_back_db=st.front_to_back_db,
                azimuth_deg=st.azimuth_deg,
            )
            for st in scenario.site_types.values()
        ]
    )


def loss_budget_db(
    scenario: Scenario, *, eirp_dbm: float, gain_dbi: float, cable_loss_db: float
) -> float:
    """The largest path loss [dB] at which a site of this EIRP [dBm], receive antenna gain
    [dBi] and cable loss [dB] covers a cell (downlink and, unless switched off, uplink) at
    ``radio.location_probability_pct`` of its locations, before the cell's own clutter
    loss (``clutter_map``)."""
    r = scenario.radio
    return max_path_loss_db(
        eirp_dbm=eirp_dbm,
        rx_antenna_gain_dbi=r.rx_antenna_gain_dbi,
        rx_threshold_dbm=r.rx_threshold_dbm,
        ue_tx_power_dbm=r.ue_tx_power_dbm,
        bs_antenna_gain_dbi=gain_dbi,
        bs_cable_loss_db=cable_loss_db,
        bs_sensitivity_dbm=r.bs_sensitivity_dbm,
        check_uplink=r.check_uplink,
        fade_margin_db=r.fade_margin_db + location_margin_db(scenario),
        clutter_loss_db=r.clutter_loss_db,
    )


RADIO_FIELDS = (
    "mast_height_m",
    "eirp_dbm",
    "antenna_gain_dbi",
    "cable_loss_db",
    "sectors",
    "beamwidth_deg",
    "front_to_back_db",
    "azimuth_deg",
)
"""The site-type fields propagation depends on (the rest only price the site)."""


def radio_type_map(old: Scenario, new: Scenario) -> list[int] | None:
    """For each site type of ``new``, a type of ``old`` with the same radio fields (its
    coverage can be reused); None when some new type has no such twin."""
    olds = [tuple(getattr(t, f) for f in RADIO_FIELDS) for t in old.site_types.values()]
    out = []
    for t in new.site_types.values():
        key = tuple(getattr(t, f) for f in RADIO_FIELDS)
        if key not in olds:
            return None
        out.append(olds.index(key))
    return out
