"""Fuzz the scenario loader: mutated scenarios through ``rural-plan validate``.

Every mutated scenario must be answered with exit status 0 (valid) or 2 (refused,
one ``rural-plan: error: ...`` line per problem), never a traceback. Run it as a
script to push many scenarios through; it prints the counts and exits non-zero
when any traceback (or other exit status) was seen::

    python tests/scenario/fuzz_scenarios.py --n 2000 --seed 1

``tests/scenario/test_fuzz_scenario.py`` drives the same mutations from Hypothesis.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import random
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
BASES = {
    "template": REPO / "scenarios" / "template.yaml",
    "demo": REPO / "scenarios" / "demo.yaml",
}
ERROR_PREFIX = "rural-plan: error: "


def base_scenarios() -> dict[str, dict[str, Any]]:
    """The scenarios the mutations start from (all valid as they are)."""
    out = {name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in BASES.items()}
    out["minimal"] = {"name": "m", "budget_usd": 1e6, "inputs": {"synthetic": {"size_m": 5000}}}
    return out


# --- values -------------------------------------------------------------------------

_STRINGS = [
    "",
    " ",
    "x",
    "lots",
    "../../etc/passwd",
    "/etc/passwd",
    "/",
    ".",
    "..",
    "~",
    "~nobody_here/x.tif",
    "$HOME/x.tif",
    "${UNSET_VARIABLE}/dem.tif",
    "nope.tif",
    "EPSG:4326",
    "EPSG:99999",
    "epsg:32737",
    "itm",
    "delta-bullington",
    "greedy",
    "milp",
    "default",
    "comoros",
    "fill",
    "error",
    "tco",
    "capex",
    "1e6",
    "-1",
    "nan",
    "inf",
    "true",
    "null",
    "é🙂中文",
    "a\tb",
    "line\nbreak",
    "x" * 300,
    "y" * 5000,
    "a/" * 200 + "z.tif",
    "\u202e",
    "0x1F",
]
_FLOATS = [
    0.0,
    -0.0,
    -1.0,
    1.0,
    0.5,
    1e-300,
    -1e-300,
    1e300,
    -1e300,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    2.5,
    90000.0,
    -5e6,
    3.999999,
]
_INTS = [0, -1, 1, 2, 3, 7, 255, 2**31, 2**32, 2**63, -(2**63), 10**30, -(10**30), 360, 100000]


def random_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(6)
    if kind == 0:
        return rng.choice(_STRINGS)
    if kind == 1:
        return rng.choice(_FLOATS)
    if kind == 2:
        return rng.choice(_INTS)
    if kind == 3:
        return rng.choice([None, True, False])
    if kind == 4:
        return rng.uniform(-1e7, 1e7)
    return "".join(chr(rng.randrange(32, 0x3000)) for _ in range(rng.randrange(0, 12)))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    """Any YAML value: a scalar, or nested lists / mappings of random values."""
    kind = rng.randrange(10) if depth < 4 else 0
    if kind <= 5:
        return random_scalar(rng)
    if kind <= 7:
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    keys = [rng.choice([*_KNOWN_KEYS, *_STRINGS[:12], "colour", "x"]) for _ in range(4)]
    return {k: random_value(rng, depth + 1) for k in keys[: rng.randrange(0, 4)]}


_KNOWN_KEYS = [
    "name",
    "budget_usd",
    "inputs",
    "synthetic",
    "dem",
    "population",
    "radio",
    "frequency_mhz",
    "model",
    "site_types",
    "mast_height_m",
    "grid",
    "cell_size_m",
    "placement",
    "method",
    "cost",
    "preset",
    "extends",
    "limits",
    "max_memory_gb",
]


# --- mutations ----------------------------------------------------------------------


def _containers(data: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """Every (path, container) in ``data``: mappings and lists, the root included."""
    found = []
    if isinstance(data, dict):
        found.append((path, data))
        for k, v in data.items():
            found.extend(_containers(v, (*path, k)))
    elif isinstance(data, list):
        found.append((path, data))
        for i, v in enumerate(data):
            found.extend(_containers(v, (*path, i)))
    return found


def _slots(data: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) that holds a value."""
    slots = []
    for _, c in _containers(data):
        keys = list(c.keys()) if isinstance(c, dict) else list(range(len(c)))
        slots.extend((c, k) for k in keys)
    return slots


def _typo(rng: random.Random, key: str) -> str:
    if not key:
        return "x"
    i = rng.randrange(len(key))
    op = rng.randrange(4)
    if op == 0:
        return key[:i] + key[i + 1 :] or "x"
    if op == 1:
        return key[:i] + key[i] + key[i:]
    if op == 2 and len(key) > 1:
        j = min(i + 1, len(key) - 1)
        chars = list(key)
        chars[i], chars[j] = chars[j], chars[i]
        return "".join(chars)
    return key.upper() if rng.random() < 0.3 else key + "s"


def mutate(rng: random.Random, data: dict[str, Any]) -> tuple[dict[str, Any] | Any, str]:
    """One structural mutation of ``data`` (in place where possible); returns it and a label."""
    slots = _slots(data)
    op = rng.randrange(10)
    if op == 0 and slots:  # delete a key / list item
        c, k = rng.choice(slots)
        del c[k]
        return data, f"delete {k!r}"
    if op == 1 and slots:  # change a value's type
        c, k = rng.choice(slots)
        c[k] = random_value(rng)
        return data, f"replace {k!r}"
    if op == 2 and slots:  # a number out of range (or any number)
        numeric = [(c, k) for c, k in slots if isinstance(c[k], int | float)]
        c, k = rng.choice(numeric or slots)
        v = c[k] if isinstance(c[k], int | float) and not isinstance(c[k], bool) else 1.0
        c[k] = rng.choice([-v, v * 1e6, v - 1e9, 0, v + 0.5, rng.choice(_FLOATS)])
        return data, f"number {k!r}"
    if op == 3:  # an unknown key somewhere
        maps = [c for _, c in _containers(data) if isinstance(c, dict)]
        c = rng.choice(maps)
        c[rng.choice([*_STRINGS[:15], "colour", "budgett", "1"])] = random_value(rng)
        return data, "add key"
    if op == 4:  # rename (misspell) a key
        maps = [c for _, c in _containers(data) if isinstance(c, dict) and c]
        if maps:
            c = rng.choice(maps)
            k = rng.choice(list(c))
            c[_typo(rng, str(k))] = c.pop(k)
            return data, f"rename {k!r}"
    if op == 5 and slots:  # wrap a value in a list or a mapping
        c, k = rng.choice(slots)
        c[k] = [c[k]] if rng.random() < 0.5 else {"value": c[k]}
        return data, f"wrap {k!r}"
    if op == 6:  # extends: a random path
        data["extends"] = rng.choice([*_STRINGS, 5, None, [], {}])
        return data, "extends"
    if op == 7 and slots:  # a random string where a value was
        c, k = rng.choice(slots)
        c[k] = rng.choice(_STRINGS)
        return data, f"string {k!r}"
    if op == 8:  # the whole document replaced by garbage (rarely)
        if rng.random() < 0.2:
            return random_value(rng), "garbage document"
    if slots:  # nested garbage
        c, k = rng.choice(slots)
        c[k] = {rng.choice(_KNOWN_KEYS): random_value(rng, 1) for _ in range(3)}
        return data, f"nested garbage {k!r}"
    return data, "none"


_TEXT_SNIPPETS = [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system",
    "!!python/object/new:dict {}",
    "!include other.yaml",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!timestamp 2001-12-14",
    "&a [1, 2]",
    "*a",
    "*undefined_alias",
    "<<: {x: 1}",
    "? [a, b]\n: c",
    "? {a: b}\n: c",
    "[" * 200 + "]" * 200,
    "[" * 3000 + "]" * 3000,
    "{a: {b: {c: {d: [1, {e: f}]}}}}",
    "\t",
    "\ufeff",
    "%YAML 1.1\n---",
    "---\n---",
    "...",
    "'unclosed",
    '"\\x00"',
    ": :",
    "- - -",
    "name: a\nname: b",
]


def mutate_text(rng: random.Random, text: str) -> str:
    """A textual mutation of a YAML document."""
    op = rng.randrange(5)
    lines = text.splitlines() or [""]
    i = rng.randrange(len(lines))
    if op == 0:  # a snippet as a value
        key = lines[i].split(":", 1)[0] if ":" in lines[i] else "x"
        lines[i] = f"{key}: {rng.choice(_TEXT_SNIPPETS)}"
    elif op == 1:  # a snippet as a line
        lines.insert(i, rng.choice(_TEXT_SNIPPETS))
    elif op == 2:  # delete or duplicate lines
        if rng.random() < 0.5:
            del lines[i : i + rng.randrange(1, 4)]
        else:
            lines.insert(i, lines[i])
    elif op == 3:  # random characters
        pos = rng.randrange(len(text) + 1)
        junk = "".join(
            rng.choice(":-[]{},#&*!|>'\"%@` \t\n\\x0é") for _ in range(rng.randrange(1, 6))
        )
        return text[:pos] + junk + text[pos:]
    else:  # indentation broken
        lines[i] = " " * rng.randrange(0, 7) + lines[i].lstrip()
    return "\n".join(lines) + "\n"


def mutated_scenario(rng: random.Random) -> tuple[str, bytes]:
    """A label and the bytes of one mutated scenario file."""
    bases = base_scenarios()
    name = rng.choice(sorted(bases))
    data: Any = copy.deepcopy(bases[name])
    labels = [name]
    for _ in range(rng.randrange(1, 5)):
        if not isinstance(data, dict):
            break
        data, label = mutate(rng, data)
        labels.append(label)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    if rng.random() < 0.25:
        text = mutate_text(rng, text)
        labels.append("text")
    raw = text.encode("utf-8", errors="surrogatepass")
    if rng.random() < 0.02:  # not UTF-8 at all
        raw = raw[: rng.randrange(len(raw) + 1)] + b"\xff\xfe\x00\x80"
        labels.append("bytes")
    return " / ".join(labels), raw


# --- running ------------------------------------------------------------------------


@dataclass
class Outcome:
    code: int | None
    stderr: str
    crash: str = ""
    """The traceback of an exception that escaped ``main``, if any."""

    @property
    def problems(self) -> list[str]:
        return self.stderr.splitlines()

    def failure(self) -> str:
        """Why this outcome breaks the contract ('' when it keeps it)."""
        if self.crash:
            return "exception escaped main():\n" + self.crash
        if "Traceback" in self.stderr:
            return "traceback on stderr:\n" + self.stderr
        if self.code not in (0, 2):
            return f"exit status {self.code}:\n{self.stderr}"
        if self.code == 2:
            lines = self.problems
            if not lines:
                return "exit status 2 with nothing on stderr"
            bad = [line for line in lines if not line.startswith(ERROR_PREFIX)]
            if bad:
                return f"stderr lines that are not one problem each: {bad[:3]}"
        return ""


def validate(path: Path) -> Outcome:
    """``rural-plan validate PATH`` in this process; stderr captured."""
    from rural_plan.cli import main

    err, out = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(["validate", "-q", str(path)])
    except SystemExit as exc:  # argparse
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # the point is to catch whatever escapes
        return Outcome(None, err.getvalue(), traceback.format_exc())
    return Outcome(code, err.getvalue())


def fuzz(n: int, seed: int, folder: Path, *, verbose: bool = False) -> dict[str, Any]:
    rng = random.Random(seed)
    counts = {"scenarios": 0, "valid": 0, "refused": 0, "tracebacks": 0}
    failures = []
    path = folder / "fuzz.yaml"
    for i in range(n):
        label, raw = mutated_scenario(rng)
        path.write_bytes(raw)
        outcome = validate(path)
        counts["scenarios"] += 1
        why = outcome.failure()
        if why:
            counts["tracebacks"] += 1
            keep = folder / f"failure-{i}.yaml"
            keep.write_bytes(raw)
            failures.append((label, keep, why))
            if verbose:
                print(f"[{i}] {label}: {why}", file=sys.stderr)
        elif outcome.code == 0:
            counts["valid"] += 1
        else:
            counts["refused"] += 1
    counts["failures"] = failures
    return counts


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000, help="scenarios to try (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the mutations (default 0)")
    p.add_argument("--keep", type=Path, default=None, help="folder to keep failing scenarios in")
    p.add_argument("-v", "--verbose", action="store_true", help="print each failure")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="rural-plan-fuzz-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        counts = fuzz(args.n, args.seed, folder, verbose=args.verbose)
        for label, keep, why in counts["failures"][:5]:
            print(f"FAIL {label} ({keep}): {why.splitlines()[-1][:300]}")
    print(
        f"scenarios {counts['scenarios']}  valid {counts['valid']}  refused {counts['refused']}  "
        f"tracebacks {counts['tracebacks']}  ({time.perf_counter() - t0:.1f} s)"
    )
    return 1 if counts["tracebacks"] else 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    sys.exit(_main())
