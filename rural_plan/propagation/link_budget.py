"""Link budget: the largest path loss at which a cell counts as covered."""

from __future__ import annotations


def max_path_loss_db(
    *,
    eirp_dbm: float,
    rx_antenna_gain_dbi: float,
    rx_threshold_dbm: float,
    ue_tx_power_dbm: float,
    bs_antenna_gain_dbi: float,
    bs_cable_loss_db: float,
    bs_sensitivity_dbm: float,
    check_uplink: bool,
    fade_margin_db: float = 0.0,
    clutter_loss_db: float = 0.0,
) -> float:
    """Maximum allowed basic transmission loss [dB] for a cell to be covered.

    Downlink: EIRP + G_rx − P_min,rx. Uplink: P_ue + G_bs − L_cable − S_bs. A cell is
    covered when the path loss is within both (the handset is often the limit), after
    the fade margin and the clutter loss are taken off.
    """
    downlink = eirp_dbm + rx_antenna_gain_dbi - rx_threshold_dbm
    budget = downlink
    if check_uplink:
        uplink = ue_tx_power_dbm + bs_antenna_gain_dbi - bs_cable_loss_db - bs_sensitivity_dbm
        budget = min(downlink, uplink)
    return budget - fade_margin_db - clutter_loss_db
