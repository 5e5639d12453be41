"""Today's network: the demand cells the existing towers already serve."""

from __future__ import annotations

import numpy as np

from rural_plan.coverage.matrix import DemandCells
from rural_plan.grid.region import Region
from rural_plan.propagation.runner import Executor, cached_covered_demand
from rural_plan.propagation.settings import RadioSettings, loss_budget_db
from rural_plan.scenario.schema import Scenario


def served_by_existing(
    scenario: Scenario,
    region: Region,
    demand: DemandCells,
    radio: RadioSettings,
    *,
    use_cache: bool = True,
    executor: Executor | None = None,
) -> np.ndarray | None:
    """Demand cells the existing towers serve (bool per demand cell; same propagation and
    link budget as new sites, the towers' own heights and EIRPs); None when there are no
    towers."""
    towers = region.towers
    if not len(towers):
        return None
    net = scenario.existing_network
    budgets = np.array(
        [
            loss_budget_db(
                scenario,
                eirp_dbm=e,
                gain_dbi=net.antenna_gain_dbi,
                cable_loss_db=net.cable_loss_db,
            )
            for e in towers.eirp_dbm
        ]
    )
    existing = cached_covered_demand(
        use_cache,
        region.grid,
        towers.rows,
        towers.cols,
        towers.height_m,
        budgets,
        demand.sample_id,
        radio,
        executor=executor,
    )
    served = np.zeros(demand.size, dtype=bool)
    served[existing.indices] = True
    return served
