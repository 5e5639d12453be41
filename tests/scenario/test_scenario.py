"""Scenario schema and loader: every problem named, with the key and the valid range."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from rural_plan.errors import ScenarioError
from rural_plan.scenario import Scenario, load_scenario
from rural_plan.scenario.names import PROPAGATION_MODEL_NAMES
from tests.conftest import REPO

MINIMAL = "name: t\nbudget_usd: 100000\ninputs: {synthetic: {}}\n"


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_write(tmp_path, text))
    return info.value.problems


def test_minimal_scenario_gets_defaults(tmp_path):
    s = load_scenario(_write(tmp_path, MINIMAL))
    assert s.radio.frequency_mhz == 900.0
    assert s.grid.cell_size_m == 90.0
    assert s.source_path == (tmp_path / "s.yaml").resolve()
    with pytest.raises(Exception, match="frozen"):
        s.budget_usd = 5  # type: ignore[misc]


def test_unknown_key_suggests_the_right_one(tmp_path):
    (line,) = _problems(tmp_path, MINIMAL + "budgett_usd: 5\n")
    assert "budgett_usd: unknown key" in line
    assert "did you mean 'budget_usd'" in line
    assert str(tmp_path / "s.yaml") in line


def test_nested_unknown_key_lists_valid_keys(tmp_path):
    text = MINIMAL + "site_types: {a: {mast_height_m: 9, eirp_dbm: 50, power_w: 9, colour: red}}\n"
    (line,) = _problems(tmp_path, text)
    assert "site_types.a.colour: unknown key" in line
    assert "mast_height_m" in line


def test_wrong_type_names_key_and_value(tmp_path):
    (line,) = _problems(tmp_path, MINIMAL + "radio: {frequency_mhz: lots}\n")
    assert "radio.frequency_mhz" in line and "'lots'" in line and "number" in line


def test_out_of_range_gives_the_limit(tmp_path):
    (line,) = _problems(tmp_path, MINIMAL.replace("100000", "-5"))
    assert "budget_usd" in line and "greater than 0" in line and "-5" in line


def test_every_problem_reported_at_once(tmp_path):
    text = "name: t\nseed: -1\ninputs: {synthetic: {}}\nradio: {rx_height_m: 100}\nfoo: 1\n"
    problems = _problems(tmp_path, text)
    keys = {p.split(": ")[1] for p in problems}
    assert {"seed", "radio.rx_height_m", "foo", "budget_usd"} <= keys


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("- a\n- b\n", "must be a YAML mapping"),
        ("", "got empty"),
        ("name: !!python/object/apply:os.system ['echo hi']\n", "not valid YAML"),
        ("name: a\nname: b\n", "duplicate key 'name'"),
        ("name: [unclosed\n", "not valid YAML (line"),
    ],
)
def test_malformed_yaml_is_refused(tmp_path, text, needle):
    (line,) = _problems(tmp_path, text)
    assert needle in line


def test_missing_input_file_is_named(tmp_path):
    text = "name: t\nbudget_usd: 1\ninputs: {dem: nope.tif, population: nope2.tif}\n"
    problems = _problems(tmp_path, text)
    assert any("inputs.dem" in p for p in problems)
    assert any("inputs.population" in p for p in problems)


def test_relative_paths_resolve_against_the_yaml(tmp_path):
    (tmp_path / "d").mkdir()
    for name in ("dem.tif", "pop.tif"):
        (tmp_path / "d" / name).write_bytes(b"x")
    s = load_scenario(
        _write(
            tmp_path, "name: t\nbudget_usd: 1\ninputs: {dem: d/dem.tif, population: d/pop.tif}\n"
        )
    )
    assert s.inputs.dem_paths == (tmp_path / "d" / "dem.tif",)


def test_synthetic_and_files_are_exclusive(tmp_path):
    (tmp_path / "x.tif").write_bytes(b"x")
    problems = _problems(
        tmp_path, "name: t\nbudget_usd: 1\ninputs: {synthetic: {}, dem: x.tif, population: x.tif}\n"
    )
    assert any("not both" in p for p in problems)


def test_model_enum_comes_from_the_registry():
    from rural_plan.propagation import PROPAGATION_MODELS

    assert tuple(PROPAGATION_MODELS) == PROPAGATION_MODEL_NAMES


def test_every_registry_is_keyed_by_its_names():
    """Each stage's registry and the names the schema and the CLI offer are the same."""
    from rural_plan.backhaul import BACKHAUL_TYPES
    from rural_plan.pipeline.executors import EXECUTORS
    from rural_plan.placement import PLACEMENT_METHODS
    from rural_plan.propagation.point_to_point import PATH_MODELS
    from rural_plan.scenario import names

    assert tuple(PATH_MODELS) == names.PATH_MODEL_NAMES
    assert tuple(PLACEMENT_METHODS) == names.PLACEMENT_METHOD_NAMES
    assert tuple(BACKHAUL_TYPES) == names.BACKHAUL_TYPE_NAMES
    assert tuple(EXECUTORS) == names.EXECUTOR_NAMES


def _all_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        keys.add(name)
        for arg in [field.annotation, *getattr(field.annotation, "__args__", ())]:
            inner = getattr(arg, "__args__", (arg,))
            for a in inner:
                if isinstance(a, type) and issubclass(a, BaseModel):
                    keys |= _all_keys(a)
    return keys


def test_template_documents_every_key_and_validates():
    path = REPO / "scenarios" / "template.yaml"
    text = path.read_text()
    documented = set(re.findall(r"^\s*([a-z_0-9]+):", text, flags=re.M))
    missing = _all_keys(Scenario) - documented
    assert not missing, f"template.yaml does not document: {sorted(missing)}"
    assert load_scenario(path).name == "template"


def test_repo_demo_matches_packaged_demo():
    packaged = REPO / "rural_plan" / "scenario" / "demo.yaml"
    assert yaml.safe_load(packaged.read_text()) == yaml.safe_load(
        (REPO / "scenarios" / "demo.yaml").read_text()
    )


def test_every_input_path_is_resolved_relative_to_the_scenario():
    from rural_plan.scenario.loader import _PATH_KEYS
    from rural_plan.scenario.schema import Inputs

    path_fields = {name for name, f in Inputs.model_fields.items() if "Path" in str(f.annotation)}
    assert path_fields == set(_PATH_KEYS)
