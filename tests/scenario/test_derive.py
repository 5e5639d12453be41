"""Deriving a changed scenario in Python, validated as YAML is: dotted keys and merged
mappings, overrides on load_scenario, the same one-line errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rural_plan import derive_scenario, load_scenario
from rural_plan.errors import ScenarioError
from tests.conftest import REPO

DEMO = REPO / "scenarios" / "demo.yaml"


def test_dotted_keys_and_merged_mappings():
    s = load_scenario(DEMO)
    d = derive_scenario(s, {"radio.frequency_mhz": 1800, "cost": {"horizon_years": 15}})
    assert d.radio.frequency_mhz == 1800 and d.cost.horizon_years == 15
    assert d.cost.discount_rate == s.cost.discount_rate  # merged, not replaced
    assert d.radio.model == s.radio.model and d.source_path == s.source_path
    assert s.radio.frequency_mhz != 1800  # the original is untouched (frozen)
    with pytest.raises(ValidationError, match="frozen"):
        s.budget_usd = 1  # type: ignore[misc]


def test_site_types_given_are_the_types():
    s = load_scenario(DEMO)
    d = derive_scenario(s, {"site_types": {"light_pole": s.site_types["light_pole"].model_dump()}})
    assert list(d.site_types) == ["light_pole"]


def test_a_wrong_key_or_value_is_refused_in_the_yaml_words():
    s = load_scenario(DEMO)
    with pytest.raises(
        ScenarioError, match=r"radio.frequncy_mhz: unknown key; did you mean 'frequency_mhz'"
    ):
        derive_scenario(s, {"radio.frequncy_mhz": 1800})
    with pytest.raises(ScenarioError, match="budget_usd: Input should be greater than 0"):
        derive_scenario(s, {"budget_usd": -5})


def test_overrides_on_load_scenario():
    s = load_scenario(DEMO, {"budget_usd": 2e6, "placement.method": "greedy"})
    assert s.budget_usd == 2e6 and s.placement.method == "greedy"
    with pytest.raises(ScenarioError, match=r"placement\.method"):
        load_scenario(DEMO, {"placement.method": "magic"})


RICH = """\
name: rich
budget_usd: 500000
budget: {per_year_usd: 100000}
area: {bbox_lonlat: [43.2, -11.9, 43.5, -11.4]}
inputs: {synthetic: {size_m: 5000, origin_xy_m: [500000, 9000000]}}
radio:
  location_probability_pct: 90
  clutter: {land_cover_classes: {10: trees-forest, 50: urban}, height_m: {urban: 12}}
backhaul: {allowed: [fibre, satellite], microwave_tx_power_dbm: 20, rain_rate_001_mm_per_h: 90}
existing_network: {serving_technologies: [4G]}
outputs: {alternatives: false}
"""


@pytest.fixture
def rich(tmp_path):
    path = tmp_path / "rich.yaml"
    path.write_text(RICH, encoding="utf-8")
    return path


def test_every_kind_of_value_survives_a_derive(rich):
    """Tuples, whole-number keys (land-cover classes), paths: taken back as they are by the
    strict schema (a JSON dump would turn class 10 into the text '10', which it refuses)."""
    s = load_scenario(rich)
    assert derive_scenario(s, {}) == s
    d = derive_scenario(s, {"budget.per_year_usd": 2e5})
    assert d.radio.clutter.land_cover_classes == {10: "trees-forest", 50: "urban"}
    assert d.existing_network.serving_technologies == ("4G",)
    assert d.backhaul.allowed == ("fibre", "satellite") and d.budget.per_year_usd == 2e5


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"budget.per_year_usd": True}, "budget.per_year_usd: expected a number, got true"),
        ({"cost.adoption_share": True}, "cost.adoption_share: expected a number, got true"),
        ({"budget_usd": "300000"}, "budget_usd: Input should be a valid number (got '300000')"),
        ({"seed": 2.5}, "seed: Input should be a valid integer"),
        ({"outputs.alternatives": 1}, "outputs.alternatives: Input should be a valid boolean"),
        ({"radio.location_probability_pct": 99.5}, "radio.location_probability_pct"),
        ({"backhaul.microwave_tx_power_dbm": 60}, "backhaul.microwave_tx_power_dbm"),
        ({"radio.clutter.land_cover_classes": {"10": "urban"}}, "land_cover_classes"),
        ({"existing_network.serving_technologies": ["6G"]}, "serving_technologies.0"),
        ({"inputs.synthetic.epsg": 4326}, "EPSG:4326 is a geographic CRS (degrees)"),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_derive_and_overrides_are_as_strict_as_yaml(rich, changes, needle):
    """The same changes through derive_scenario, load_scenario(path, overrides) and a YAML
    file: refused alike, in the same words (after the scenario's name)."""
    s = load_scenario(rich)
    said = []
    for call in (lambda: derive_scenario(s, changes), lambda: load_scenario(rich, changes)):
        with pytest.raises(ScenarioError) as err:
            call()
        said.append(sorted(line.split(": ", 1)[1] for line in err.value.problems))
        assert any(needle in line for line in said[-1]), said[-1]
    assert said[0] == said[1]


def test_a_derived_change_behaves_as_in_the_yaml(tmp_path):
    """derive starts from the keys the scenario was given, not every default filled in:
    grid.crs places a synthetic region that names no epsg, as it does in a file."""
    path = tmp_path / "s.yaml"
    path.write_text("name: t\nbudget_usd: 1\ninputs: {synthetic: {size_m: 5000}}\n")
    d = derive_scenario(load_scenario(path), {"grid.crs": "EPSG:32736"})
    assert d.inputs.synthetic.epsg == 32736
    assert d == load_scenario(path, {"grid.crs": "EPSG:32736"})
