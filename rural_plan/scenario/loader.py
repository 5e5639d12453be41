"""Read a scenario YAML into a validated :class:`Scenario`, reporting every problem.

YAML is read with a safe loader (tags that would construct Python objects are
refused) that also refuses duplicate keys. Relative paths are resolved against
the YAML file's folder. Validation problems are collected and raised once, each
as ``FILE: key.path: what is wrong (valid: ...)``.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from rural_plan.errors import ScenarioError
from rural_plan.scenario.schema import Scenario

_PATH_KEYS = (
    "dem",
    "population",
    "existing_towers",
    "fibre_nodes",
    "settlements",
    "exclusions",
    "candidate_sites",
    "pois",
)


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file that must hold a mapping; errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ScenarioError(f"{path}: file not found") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ScenarioError(f"{path}: cannot be read as UTF-8 text ({err})") from err
    try:
        data = yaml.load(text, Loader=_StrictSafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem}") from err
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise ScenarioError(
            f"{path}: a scenario must be a YAML mapping of keys to values, got {kind}"
        )
    return data


MAX_EXTENDS_DEPTH = 20


def read_scenario_mapping(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario file as one mapping, paths resolved, ``extends:`` followed.

    ``extends: base.yaml`` (relative to this file) inherits every key of that
    scenario; keys given here override it. Mappings merge key by key (so
    ``cost: {preset: light}`` keeps the base's horizon); any other value, lists
    included, replaces the base's. Each file's relative paths are resolved against
    its own folder before merging.
    """
    path = Path(path).resolve()
    if path in _chain:
        loop = " -> ".join(str(p) for p in (*_chain, path))
        raise ScenarioError(f"{path}: extends: the chain loops back ({loop})")
    if len(_chain) >= MAX_EXTENDS_DEPTH:
        raise ScenarioError(f"{path}: extends: more than {MAX_EXTENDS_DEPTH} levels")
    data = _resolve_paths(read_yaml_mapping(path), path.parent)
    base_ref = data.pop("extends", None)
    if base_ref is None:
        return data
    if not isinstance(base_ref, str) or not base_ref.strip():
        raise ScenarioError(
            f"{path}: extends: must be the path of another scenario YAML (got {base_ref!r})"
        )
    base_path = _resolve_one(base_ref, path.parent)
    if not base_path.is_file():
        raise ScenarioError(f"{path}: extends: file not found: {base_path}")
    return merge_mappings(read_scenario_mapping(base_path, (*_chain, path)), data)


def merge_mappings(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: mappings merge recursively, other values replace."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_mappings(out[key], value)
        else:
            out[key] = value
    return out


def _resolve_paths(data: dict[str, Any], base_dir: Path) -> dict[str, Any]:
    inputs = data.get("inputs")
    if not isinstance(inputs, dict):
        return data
    resolved = dict(inputs)
    for key in _PATH_KEYS:
        value = resolved.get(key)
        if isinstance(value, str):
            resolved[key] = str(_resolve_one(value, base_dir))
        elif isinstance(value, list):
            resolved[key] = [_resolve_one(v, base_dir) if isinstance(v, str) else v for v in value]
    cost = data.get("cost")
    out = {**data, "inputs": resolved}
    if isinstance(cost, dict) and isinstance(cost.get("preset"), str):
        preset = cost["preset"]
        if preset.endswith((".yaml", ".yml")):
            out["cost"] = {**cost, "preset": str(_resolve_one(preset, base_dir))}
    return out


def _resolve_one(value: str, base_dir: Path) -> Path:
    p = Path(os.path.expandvars(os.path.expanduser(value)))
    return p if p.is_absolute() else (base_dir / p)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc`` (for listing valid keys)."""
    model: Any = Scenario
    skip_key = False  # the previous field was a dict of models: this part is its key
    for part in loc:
        if skip_key:
            skip_key = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None
        skip_key = get_origin(field.annotation) is dict
        model = _unwrap_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = get_origin(annotation)
    if origin is dict:
        return _unwrap_model(get_args(annotation)[1])
    for arg in get_args(annotation):
        found = _unwrap_model(arg)
        if found is not None:
            return found
    return None


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    # Drop pydantic's union-branch markers such as 'list[...]' or 'SiteType'.
    loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p[:1].isupper())))
    key = ".".join(str(p) for p in loc)
    kind = err["type"]
    given = err.get("input")
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = sorted(parent.model_fields) if parent is not None else []
        valid = [v for v in valid if v != "source_path"]
        close = difflib.get_close_matches(str(loc[-1]), valid, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{key}: unknown key{hint} (valid keys here: {', '.join(valid)})"
    if kind == "missing":
        return f"{key}: required key is missing"
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    shown = "" if isinstance(given, dict | list) else f" (got {given!r})"
    return f"{key}: {msg}{shown}" if key else msg


def scenario_from_mapping(data: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate an already-parsed mapping; raise :class:`ScenarioError` with every problem."""
    if "source_path" in data:
        raise ScenarioError(f"{source}: source_path: unknown key (it is set by the loader)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        seen: list[str] = []
        for e in err.errors():
            line = f"{source}: {_describe(e)}"
            if line not in seen:
                seen.append(line)
        raise ScenarioError(seen[0] if len(seen) == 1 else f"{len(seen)} problems", seen) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load, resolve and validate a scenario YAML.

    Parameters
    ----------
    path
        The scenario file. Relative input paths inside it are resolved against its
        folder.

    Returns
    -------
    Scenario
        Frozen, validated; ``scenario.source_path`` is the absolute file path.

    Examples
    --------
    >>> from rural_plan import load_scenario
    >>> s = load_scenario("scenarios/demo.yaml")  # doctest: +SKIP
    >>> s.radio.frequency_mhz  # doctest: +SKIP
    900.0
    """
    path = Path(path).resolve()
    data = read_scenario_mapping(path)
    scenario = scenario_from_mapping(data, source=str(path))
    return scenario.model_copy(update={"source_path": path})
