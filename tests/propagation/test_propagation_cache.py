"""The on-disk propagation cache: same answers as recomputing, safe with several
writers, and a damaged entry is recomputed, never served."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from rural_plan.propagation import cache


def _arrays(seed: int, n: int = 50_000):
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, 10**6, n)
    indptr = np.concatenate(([0], np.sort(rng.integers(0, n, 99)), [n]))
    return indptr.astype(np.int64), indices.astype(np.int64)


def test_round_trip_and_key_sensitivity(tmp_path):
    indptr, indices = _arrays(0)
    k = cache.key_of(np.arange(5.0), "radio", 1.5)
    assert cache.load(k, tmp_path) is None
    cache.store(k, indptr, indices, tmp_path)
    got = cache.load(k, tmp_path)
    np.testing.assert_array_equal(got[0], indptr)
    np.testing.assert_array_equal(got[1], indices)
    # any change in any part, in dtype or in shape gives another key
    assert cache.key_of(np.arange(5.0), "radio", 1.5) == k
    assert cache.key_of(np.arange(5.0), "radio", 1.6) != k
    assert cache.key_of(np.arange(5), "radio", 1.5) != k
    assert cache.key_of(np.arange(5.0).reshape(5, 1), "radio", 1.5) != k
    assert cache.key_of(np.arange(5.0), "radios", 1.5) != k


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage"])
def test_a_damaged_entry_is_detected_and_dropped(tmp_path, damage):
    indptr, indices = _arrays(1)
    k = cache.key_of("x")
    cache.store(k, indptr, indices, tmp_path)
    path = tmp_path / f"{k}.npz"
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[len(data) // 2] ^= 0xFF  # inside the indices payload
    else:
        data = bytearray(b"not an npz at all")
    path.write_bytes(bytes(data))
    assert cache.load(k, tmp_path) is None
    assert not path.exists()


def _writer(args):
    folder, seed, rounds = args
    indptr, indices = _arrays(seed)
    k = cache.key_of("shared")
    for _ in range(rounds):
        cache.store(k, indptr, indices, folder)
        got = cache.load(k, folder)
        # a reader sees a whole entry (the same arrays every writer writes), or none
        if got is not None:
            assert np.array_equal(got[0], indptr) and np.array_equal(got[1], indices)
    return True


@pytest.mark.slow
def test_several_processes_writing_at_once(tmp_path):
    ctx = mp.get_context("spawn")
    with ctx.Pool(4) as pool:
        assert all(pool.map(_writer, [(tmp_path, 7, 15)] * 4))
    assert len(list(tmp_path.glob("*.npz"))) == 1
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
    assert cache.load(cache.key_of("shared"), tmp_path) is not None


def test_the_code_is_part_of_the_key(monkeypatch):
    k = cache.key_of("same inputs")
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of the code")
    assert cache.key_of("same inputs") != k


def test_a_cached_plan_equals_a_computed_one(tmp_path, monkeypatch):
    import json

    from rural_plan.pipeline import plan
    from rural_plan.scenario.loader import load_scenario

    monkeypatch.setenv("RURAL_PLAN_CACHE_DIR", str(tmp_path / "cache"))
    doc = {
        "name": "cached",
        "inputs": {"synthetic": {"size_m": 10_000, "villages": 8, "people": 9_000}},
        "radio": {"radius_m": 5_000},
        "budget_usd": 300_000,
    }
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(doc))
    s = load_scenario(path)
    fresh = plan(s, use_cache=False)
    assert not (tmp_path / "cache").exists()
    first = plan(s)  # computes and stores
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1
    again = plan(s)  # served from the cache
    for p in (first, again):
        np.testing.assert_array_equal(p.coverage.indices, fresh.coverage.indices)
        np.testing.assert_array_equal(p.coverage.indptr, fresh.coverage.indptr)
        assert p.summary == fresh.summary
