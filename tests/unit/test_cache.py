"""The result cache: bounded, least recently used goes first, off at size 0."""
from rules.cache import ResultCache


def test_hit_miss_and_eviction():
    cache = ResultCache(2)
    calls = []

    def compute(v):
        return lambda: calls.append(v) or v

    assert cache.get_or_compute("a", compute(1)) == 1
    assert cache.get_or_compute("a", compute(99)) == 1  # hit: not recomputed
    cache.get_or_compute("b", compute(2))
    cache.get_or_compute("a", compute(99))  # a is now the most recent
    cache.get_or_compute("c", compute(3))  # evicts b
    assert cache.get_or_compute("b", compute(4)) == 4
    assert calls == [1, 2, 3, 4] and cache.hits == 2


def test_size_zero_always_computes():
    cache = ResultCache(0)
    n = []
    for _ in range(3):
        cache.get_or_compute("k", lambda: n.append(1))
    assert len(n) == 3


def test_the_key_holds_the_ruleset_version_and_ignores_key_order(rulebook):
    from rules.request import read_request
    a = read_request({"event": "birth", "facts": {"first_child": True, "born_abroad": False}}, rulebook.vocab, set(rulebook.events))
    b = read_request({"facts": {"born_abroad": False, "first_child": True}, "event": "birth"}, rulebook.vocab, set(rulebook.events))
    assert a.cache_key("v1") == b.cache_key("v1") != a.cache_key("v2")
