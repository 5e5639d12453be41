"""Read a scenario YAML into a validated :class:`Scenario`, reporting every problem.

YAML is read with a safe loader (tags that would construct Python objects are
refused) that also refuses duplicate keys. Relative paths are resolved against
the YAML file's folder. Validation problems are collected and raised once, each
as ``FILE: key.path: what is wrong (valid: ...)``.
"""

from __future__ import annotations

import difflib
import os
import re
import reprlib
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from rural_plan.errors import ScenarioError
from rural_plan.scenario import schema
from rural_plan.scenario.files import UnusableFile, absolute, path_problem, read_text
from rural_plan.scenario.schema import Scenario

_PATH_KEYS = tuple(k for k in schema.Inputs.model_fields if k != "synthetic")
"""The ``inputs`` keys that name files (every one but ``synthetic``): resolved against the
scenario's folder."""


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate mapping keys."""


def _construct_mapping(loader: _StrictSafeLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a key must be a plain value, got {type(key).__name__}",
                key_node.start_mark,
            ) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictSafeLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)
# YAML 1.2 floats: PyYAML (YAML 1.1) reads `1e6` as the string '1e6'; a scenario means
# the number (the schema takes numbers strictly, never from strings).
_StrictSafeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

MAX_YAML_VALUES = 200_000
"""Most values (scalars, lists, mappings) a scenario's aliases may expand to: a ~1 KB
chain of aliases can otherwise stand for billions (the "billion laughs")."""


def _expanded_size(root: yaml.Node) -> tuple[int, int]:
    """(values the document stands for with every alias expanded, distinct nodes), counted
    without expanding anything (each node once, its size memoised)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            sizes[key] = min(1 + sum(sizes.get(id(k), 1) for k in kids), 1 << 62)
            continue
        if key in sizes or key in on_path:  # counted, or an alias to an enclosing node
            continue
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in sizes)
    return sizes[id(root)], len(sizes)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def load_yaml_text(text: str) -> Any:
    """Parse YAML text with the scenario's loader: plain values only (no tags that build
    objects), no duplicate keys, YAML 1.2 floats, aliases expanding to at most
    ``MAX_YAML_VALUES`` values. Raises ``yaml.YAMLError`` or ``RecursionError``."""
    loader = _StrictSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        expanded, distinct = _expanded_size(node)
        if expanded > MAX_YAML_VALUES and expanded > 2 * distinct:
            raise yaml.YAMLError(
                f"aliases (*name) expand it to {expanded:,} values, more than the "
                f"{MAX_YAML_VALUES:,} a scenario may hold; write the values out"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Parse a YAML file that must hold a mapping; errors name the file and line."""
    path = Path(path)
    try:
        text = read_text(path)
    except UnusableFile as err:
        raise ScenarioError(f"{path}: {err.problem}") from None
    try:
        data = load_yaml_text(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        if "constructor for the tag" in problem:  # !!python/object, !include, ...
            tag = problem.rsplit(" ", 1)[-1]
            problem = (
                f"tag {tag} is not allowed: a scenario holds plain values only (mappings, "
                "lists, strings, numbers, true / false, null)"
            )
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem}") from err
    except RecursionError:
        raise ScenarioError(
            f"{path}: not valid YAML: lists or mappings nested too deeply"
        ) from None
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
    problem = path_problem(path)
    if problem is not None:  # named as given (a link, not where it leads)
        raise ScenarioError(f"{Path(path).absolute()}: {problem}")
    path = absolute(path)
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
    problem = path_problem(base_path)
    if problem is not None:
        raise ScenarioError(f"{path}: extends: {problem}: {base_path}")
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


_BRANCH_MARKER = re.compile(r"^[a-z][a-z0-9_-]*\[.*\]$")
_MODEL_NAMES = frozenset(
    name
    for name, obj in vars(schema).items()
    if isinstance(obj, type) and issubclass(obj, BaseModel)
)


def _is_branch_marker(part: Any) -> bool:
    return isinstance(part, str) and (
        part in _MODEL_NAMES or bool(_BRANCH_MARKER.match(part)) or part.startswith("function-")
    )


def _describe(err: dict[str, Any]) -> str:
    # Drop pydantic's union-branch markers such as 'list[...]' or 'SiteType' (the key the
    # error is about, last, is always kept: it may be a user's key that looks like one).
    kind = err["type"]
    loc_in = tuple(err["loc"] or ("",))
    if len(loc_in) >= 2 and loc_in[-1] == "[key]":  # a mapping's key, not its value
        *path, bad_key = loc_in[:-1]
        where = ".".join(str(p) for p in path if not _is_branch_marker(p))
        what = err["msg"].replace("Input should be", "should be")
        return f"{where}: key {bad_key!r} {what}"
    *path, last = loc_in
    loc = tuple(p for p in path if not _is_branch_marker(p))
    if kind == "extra_forbidden" or not _is_branch_marker(last):
        loc = (*loc, last)
    key = ".".join(str(p) for p in loc if p != "")
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
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{key}: expected a mapping of keys to values (got {_short(given)})"
    if kind == "too_short" and isinstance(given, list | tuple | dict):
        least = (err.get("ctx") or {}).get("min_length", 1)
        what = "an empty list" if not given else f"{len(given)}"
        return f"{key}: needs at least {least} item(s), got {what}"
    msg = err["msg"]
    if isinstance(given, bool) and kind in ("float_type", "int_type", "string_type"):
        wanted = {"float_type": "a number", "int_type": "a whole number"}.get(kind, "text")
        return f"{key}: expected {wanted}, got {str(given).lower()} (true / false)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    msg = msg.replace("a valid tuple", "a list")  # a YAML list stands for a tuple
    msg = msg.replace(" for <class 'pathlib.Path'>", "")
    shown = (
        f" (got {_short(given)})"
        if kind.endswith("_type") or not isinstance(given, dict | list)
        else ""
    )
    if key and msg.startswith(f"{key}."):  # a model's own check that names its key
        return f"{msg}{shown}"
    return f"{key}: {msg}{shown}" if key else msg


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 3, 8, 8, 8
_REPR.maxstring, _REPR.maxother, _REPR.maxlong = 100, 100, 40


def _short(value: Any, limit: int = 100) -> str:
    """``repr`` of a value given in the YAML, cut to ``limit`` characters (the middle of a
    long string or path, so the file name at its end stays). Only what is shown is
    formatted: a huge value costs no more than a small one."""
    if isinstance(value, list) and len(value) <= 8:  # resolved paths show as given
        value = [str(v) if isinstance(v, Path) else v for v in value]
    if isinstance(value, Path):
        value = str(value)
    text = repr(value) if isinstance(value, str) else _REPR.repr(value)
    if len(text) <= limit:
        return text
    if isinstance(value, str):
        return text[:30] + "..." + text[-(limit - 33) :]
    return text[: limit - 3] + "..."


def _without_other_branches(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop "should be a valid list" (and such) errors of the union branches a value was
    plainly not meant for, when another branch tells what is wrong with it."""

    def key(e: dict[str, Any]) -> tuple:
        return tuple(p for p in e["loc"] if not _is_branch_marker(p))

    def branch_type_error(e: dict[str, Any]) -> bool:
        return e["type"].endswith("_type") and any(_is_branch_marker(p) for p in e["loc"])

    specific = [key(e) for e in errors if not branch_type_error(e)]

    def explained(k: tuple) -> bool:  # another error at this key, or inside its value
        return any(s[: len(k)] == k for s in specific)

    def inside(k: tuple) -> bool:  # another error inside this value
        return any(len(s) > len(k) and s[: len(k)] == k for s in specific)

    # pydantic adds "too short" to a list whose items failed (as if they were missing)
    return [
        e
        for e in errors
        if not (branch_type_error(e) and explained(key(e)))
        and not (e["type"] == "too_short" and inside(key(e)))
    ]


def scenario_from_mapping(data: dict[str, Any], *, source: str = "<scenario>") -> Scenario:
    """Validate an already-parsed mapping; raise :class:`ScenarioError` with every problem."""
    if "source_path" in data:
        raise ScenarioError(f"{source}: source_path: unknown key (it is set by the loader)")
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        seen: list[str] = []
        for e in _without_other_branches(err.errors()):
            line = f"{source}: {_describe(e)}"
            if line not in seen:
                seen.append(line)
        raise ScenarioError(seen[0] if len(seen) == 1 else f"{len(seen)} problems", seen) from None


def load_scenario(
    path: str | os.PathLike[str], overrides: dict[str, Any] | None = None
) -> Scenario:
    """Load, resolve and validate a scenario YAML.

    Parameters
    ----------
    path
        The scenario file. Relative input paths inside it are resolved against its
        folder.
    overrides
        Keys to change before validation, as dotted paths (``"radio.frequency_mhz"``) or
        top-level keys whose mappings merge (``"cost": {"horizon_years": 15}``); relative
        paths among them are resolved against the current folder. Validated with the
        file, in the same words.

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
    >>> load_scenario("scenarios/demo.yaml", {"budget_usd": 2e6}).budget_usd  # doctest: +SKIP
    2000000.0
    """
    data = read_scenario_mapping(path)
    path = absolute(path)
    if overrides:
        data = merge_mappings(data, _resolve_paths(dotted_changes(overrides), Path.cwd()))
    scenario = scenario_from_mapping(data, source=str(path))
    return scenario.model_copy(update={"source_path": path})


def derive_scenario(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """``scenario`` with ``changes`` applied (dotted paths or merging top-level keys, as
    :func:`load_scenario`'s ``overrides``; ``site_types`` given are the types, none
    merged in), validated as a YAML file is: a wrong key or value raises
    :class:`~rural_plan.errors.ScenarioError` naming it.

    >>> s2 = derive_scenario(s, {"radio.frequency_mhz": 1800, "budget_usd": 5e5})  # doctest: +SKIP
    """
    # The keys the scenario was given (as its YAML: defaults are filled in again, so a
    # change behaves as it would in the file), as Python values (tuples, paths, whole-number
    # keys such as land-cover classes) that the strict schema takes back as they are; what
    # ``changes`` gives is validated as YAML is.
    base = scenario.model_dump(exclude={"source_path"}, exclude_unset=True)
    nested = dotted_changes(changes)
    data = merge_mappings(base, {k: v for k, v in nested.items() if k != "site_types"})
    if "site_types" in nested:
        data["site_types"] = nested["site_types"]
    data = _resolve_paths(data, Path.cwd())
    label = f"{scenario.source_path or scenario.name} (derived)"
    new = scenario_from_mapping(data, source=label)
    return new.model_copy(update={"source_path": scenario.source_path})


def dotted_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """``{"radio.frequency_mhz": 1800, "cost": {...}}`` as one nested mapping (dotted
    keys nested; later keys merge over earlier ones)."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if not isinstance(key, str) or not key:
            raise ScenarioError(f"scenario change: keys are dotted names, got {key!r}")
        nested: Any = value
        for part in reversed(key.split(".")):
            nested = {part: nested}
        out = merge_mappings(out, nested)
    return out


def load_demo_scenario() -> Scenario:
    """The built-in demo scenario (a seeded synthetic region, packaged as ``demo.yaml``)."""
    text = (resources.files("rural_plan.scenario") / "demo.yaml").read_text(encoding="utf-8")
    return scenario_from_mapping(load_yaml_text(text), source="built-in demo scenario")
