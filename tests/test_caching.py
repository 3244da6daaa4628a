"""app/caching.py: the one LRU cache that the maps, the API layers, the geocoder and the
page cache keep their values in."""

import pytest

from app.caching import LRUCache


def test_the_least_recently_used_value_goes_first():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.find("a") == 1  # "a" is now the most recently used
    cache.put("c", 3)
    assert "b" not in cache and "a" in cache and "c" in cache and len(cache) == 2
    assert cache.find("b", "missing") == "missing"
    assert (cache.hits, cache.misses) == (1, 1)


def test_looking_without_finding_does_not_count_as_a_use():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache
    cache.put("c", 3)
    assert "a" not in cache and (cache.hits, cache.misses) == (0, 0)


def test_get_makes_a_value_once_and_keeps_none_but_not_a_failure():
    cache = LRUCache(4)
    made = []

    def make(value):
        made.append(value)
        return value

    assert cache.get("k", lambda: make(None)) is None
    assert cache.get("k", lambda: make("again")) is None  # None is an answer too
    assert made == [None]

    def fail():
        raise RuntimeError("service down")

    with pytest.raises(RuntimeError):
        cache.get("x", fail)
    assert "x" not in cache and len(cache) == 1


def test_values_can_weigh_more_than_one_and_a_replaced_value_stops_weighing():
    cache = LRUCache(10, weigh=len)
    cache.put("a", "xxxx")
    cache.put("b", "xxxx")
    assert cache.weight == 8
    cache.put("a", "xx")
    assert cache.weight == 6 and len(cache) == 2
    cache.put("c", "xxxxxx")  # 12 > 10: "b", the least recently used, goes
    assert "b" not in cache and cache.weight == 8
    cache.put("d", "x" * 11)  # heavier than the whole cache: nothing can stay
    assert len(cache) == 0 and cache.weight == 0
    cache.put("e", "x")
    cache.clear()
    assert len(cache) == 0 and cache.weight == 0
