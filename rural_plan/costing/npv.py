"""Net present cost over a horizon."""

from __future__ import annotations


def annuity_factor(horizon_years: int, discount_rate: float) -> float:
    """Σ_{t=1..N} (1 + r)^-t: present value of 1 USD paid at the end of each year."""
    if discount_rate == 0:
        return float(horizon_years)
    return (1.0 - (1.0 + discount_rate) ** -horizon_years) / discount_rate


def net_present_cost(capex_usd, opex_usd_per_year, *, horizon_years: int, discount_rate: float):
    """CAPEX paid now plus OPEX at the end of each year, discounted: the TCO [USD]."""
    return capex_usd + opex_usd_per_year * annuity_factor(horizon_years, discount_rate)
