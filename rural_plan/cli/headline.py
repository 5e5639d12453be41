"""The headline a planning command prints: the plan's summary as aligned lines."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


def headline(
    summary: Mapping[str, Any], out_dir: Path, seconds: float, compile_s: float = 0.0
) -> str:
    """The summary as aligned lines; ``compile_s`` of the ``seconds`` went into compiling
    numba kernels (shown apart when it is a second or more: a first run)."""
    total = summary["people_total"]
    newly = summary["people_newly_covered"]
    share = 100.0 * newly / total if total else 0.0
    cpp = summary["cost_per_person_usd"]
    lines = [
        f"scenario              {summary['scenario']}",
        f"people in area        {total:,.0f} (input {summary['people_input_total']:,.0f}; "
        f"already covered {summary['people_covered_before']:,.0f})",
        f"people newly covered  {newly:,.0f} ({share:.1f} %)",
        f"people newly served   {summary['people_newly_served']:,.0f} (within site capacity)",
        *(
            [f"warning               {summary['baseline_warning']}"]
            if summary.get("baseline_warning")
            else []
        ),
        f"sites selected        {summary['sites_selected']} "
        f"({', '.join(f'{k} {v}' for k, v in summary['sites_by_type'].items())})",
        f"CAPEX                 {summary['capex_usd']:,.0f} USD",
        f"OPEX                  {summary['opex_usd_per_year']:,.0f} USD per year",
        f"TCO                   {summary['tco_usd']:,.0f} USD over "
        f"{summary['horizon_years']} years "
        f"at {100 * summary['discount_rate']:.1f} %",
        f"people per 1,000 USD  {summary['people_per_1000_usd']:.2f}",
        f"placement             {summary['placement_method']} ({summary['placement_status']}"
        + (
            f", within {100 * summary['placement_gap']:.2f} % of optimal)"
            if "placement_gap" in summary
            else ")"
        ),
        f"cost per person       {cpp:,.2f} USD" if cpp is not None else "cost per person       n/a",
        f"budget curve          {out_dir / 'budget_curve.csv'}",
        f"results               {out_dir}  ({seconds:.1f} s"
        + (f", of which {compile_s:.1f} s compiling, once per machine)" if compile_s >= 1 else ")"),
    ]
    return "\n".join(lines)


def print_run(result, use_cache: bool) -> int:
    """Print a finished run's headline and where propagation was cached; exit status 0."""
    from rural_plan.propagation.cache import cache_dir

    compile_s = result.plan.timings_s.get("jit_compile", 0.0)
    print(headline(result.plan.summary, result.out_dir, result.seconds, compile_s))
    print(f"propagation cache     {cache_dir() if use_cache else 'off (--no-cache)'}")
    return 0
