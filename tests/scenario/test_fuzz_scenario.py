"""Property tests of the scenario loader through ``rural-plan validate`` (in process).

Whatever is in the YAML — keys deleted, types changed, numbers out of range, random
strings, nested garbage, tags, broken syntax — the answer is exit status 0 or 2 and, on
2, one ``rural-plan: error: ...`` line per problem; never a traceback.
``tests/scenario/fuzz_scenarios.py`` runs the same mutations in bulk as a script.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scenario.fuzz_scenarios import base_scenarios, mutate, mutated_scenario, validate


def _settings(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check(folder: Path, raw: bytes) -> None:
    path = folder / "scenario.yaml"
    path.write_bytes(raw)
    outcome = validate(path)
    assert outcome.failure() == "", raw[:2000]


@pytest.mark.slow
@_settings(300)
@given(rng=st.randoms(use_true_random=False))
def test_mutated_scenarios_never_crash(folder, rng):
    _, raw = mutated_scenario(rng)
    _check(folder, raw)


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@pytest.mark.slow
@_settings(200)
@given(
    base=st.sampled_from(sorted(base_scenarios())),
    path=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=4),
    value=yaml_values,
)
def test_any_value_at_any_key(folder, base, path, value):
    """Replace the value at a random key path (or add a key there) with any YAML value."""
    data = copy.deepcopy(base_scenarios()[base])
    node = data
    for i, step in enumerate(path):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = keys[step % len(keys)]
        if i == len(path) - 1 or not isinstance(node[key], dict | list):
            node[key] = value
            break
        node = node[key]
    _check(folder, yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass"))


@_settings(150)
@given(text=st.text(max_size=400))
def test_any_text_as_a_scenario(folder, text):
    _check(folder, text.encode("utf-8", "surrogatepass"))


@_settings(100)
@given(rng=st.randoms(use_true_random=False), n=st.integers(min_value=1, max_value=8))
def test_many_mutations_at_once(folder, rng, n):
    data = copy.deepcopy(base_scenarios()["template"])
    for _ in range(n):
        if not isinstance(data, dict):
            break
        data, _ = mutate(rng, data)
    _check(folder, yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass"))


def test_a_refusal_is_one_line_per_problem(folder):
    """Three problems, three lines (the contract the properties above check)."""
    path = folder / "three.yaml"
    path.write_text("name: t\nbudget_usd: -1\nseed: x\ncolour: red\ninputs: {synthetic: {}}\n")
    outcome = validate(path)
    assert outcome.code == 2 and outcome.failure() == ""
    assert len(outcome.problems) == 3
    assert all(str(path) in line for line in outcome.problems)
