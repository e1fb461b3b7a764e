"""The package's one cache type: each rule in its docstring."""

from __future__ import annotations

import threading

import pytest

from lakeworks.cache import BoundedCache


def test_a_key_is_found_by_value_not_by_identity() -> None:
    cache: BoundedCache[str] = BoundedCache(4)
    cache.put(("orders", 3), "v3")
    assert cache.get(("orders", 3)) == "v3"  # an equal key built anew finds it
    assert cache.get(("orders", 4)) is None  # a new version is a new key: the old is not served


def test_it_never_holds_more_than_its_size_and_evicts_the_least_recently_used() -> None:
    cache: BoundedCache[int] = BoundedCache(3)
    for i in range(3):
        cache.put(i, i)
    assert cache.get(0) == 0  # 0 is now the most recently used
    cache.put(3, 3)
    assert len(cache) == 3
    assert cache.get(1) is None  # the least recently used went
    assert [cache.get(k) for k in (0, 2, 3)] == [0, 2, 3]
    for i in range(100):
        cache.put(("x", i), i)
    assert len(cache) == 3


def test_get_or_make_makes_once_per_key() -> None:
    cache: BoundedCache[list[int]] = BoundedCache(2)
    made = []
    for _ in range(3):
        cache.get_or_make("k", lambda: made.append(1) or (1,))
    assert made == [1]


def test_discard_and_clear_drop_entries() -> None:
    cache: BoundedCache[int] = BoundedCache(4)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.discard(["a", "missing"])
    assert cache.get("a") is None and cache.get("b") == 2
    cache.clear()
    assert len(cache) == 0


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        BoundedCache(0)


def test_threads_share_it_safely() -> None:
    cache: BoundedCache[int] = BoundedCache(50)

    def work(offset: int) -> None:
        for i in range(2000):
            cache.put((offset, i % 80), i)
            cache.get((offset, (i * 7) % 80))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
