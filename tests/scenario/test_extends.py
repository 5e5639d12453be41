"""`extends:` — a scenario inherits another and overrides a few keys."""

from __future__ import annotations

import pytest

from rural_plan.cli import main
from rural_plan.errors import ScenarioError
from rural_plan.scenario.loader import load_scenario

BASE = """
name: base
inputs:
  synthetic: {size_m: 10000, villages: 5, people: 5000}
  settlements: data/places.geojson
budget_usd: 500000
cost: {preset: default, horizon_years: 12, discount_rate: 0.05}
site_types:
  light_pole: {mast_height_m: 15, eirp_dbm: 56, power_w: 150}
  tall_pole: {mast_height_m: 30, eirp_dbm: 58, power_w: 200, cost_item: light_pole}
"""

PLACES = '{"type": "FeatureCollection", "features": []}'


@pytest.fixture
def base(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "data").mkdir()
    (tmp_path / "base" / "data" / "places.geojson").write_text(PLACES)
    path = tmp_path / "base" / "base.yaml"
    path.write_text(BASE)
    return path


def test_child_overrides_and_mappings_merge(tmp_path, base):
    child = tmp_path / "variant.yaml"
    child.write_text(
        "extends: base/base.yaml\n"
        "name: variant\n"
        "budget_usd: 2000000\n"
        "cost: {horizon_years: 15}\n"
        "site_types: {tall_pole: {mast_height_m: 40}}\n"
    )
    s = load_scenario(child)
    assert s.name == "variant" and s.budget_usd == 2_000_000
    assert s.cost.horizon_years == 15 and s.cost.discount_rate == 0.05  # merged
    assert s.site_types["tall_pole"].mast_height_m == 40
    assert s.site_types["tall_pole"].eirp_dbm == 58  # kept from the base
    assert set(s.site_types) == {"light_pole", "tall_pole"}
    # the base's relative path is resolved against the base's folder, not the child's
    assert s.inputs.settlements == (tmp_path / "base" / "data" / "places.geojson")
    assert s.source_path == child.resolve()


def test_chains_of_extends(tmp_path, base):
    (tmp_path / "mid.yaml").write_text("extends: base/base.yaml\nbudget_usd: 700000\n")
    (tmp_path / "top.yaml").write_text("extends: mid.yaml\nseed: 9\n")
    s = load_scenario(tmp_path / "top.yaml")
    assert (s.name, s.budget_usd, s.seed) == ("base", 700_000, 9)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"}, "loops back"),
        ({"a.yaml": "extends: nowhere.yaml\nname: a\n"}, "extends: file not found"),
        ({"a.yaml": "extends: [1, 2]\nname: a\n"}, "extends: must be the path"),
        ({"a.yaml": "extends: b.yaml\n", "b.yaml": "- a list\n"}, "must be a YAML mapping"),
    ],
)
def test_bad_extends_is_one_clear_error(tmp_path, capsys, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(tmp_path / "a.yaml")
    assert main(["validate", str(tmp_path / "a.yaml")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_child_key_error_names_the_child(tmp_path, base):
    child = tmp_path / "bad.yaml"
    child.write_text("extends: base/base.yaml\nbudget_usd: -5\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml: budget_usd"):
        load_scenario(child)
