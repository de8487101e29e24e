"""The decode cache's full-flush path (engine/blocks.py DecodeCache): suspend sets each
effective page's closures aside as its by_ea dict, revive brings them back only onto the
physical page they were decoded from, and dropped code never comes back."""

from __future__ import annotations

from typing import Any

from engine.blocks import DecodeCache


def _fn(tag: int) -> Any:
    def ex(c: object) -> int:
        return tag

    return ex


def _decode(cache: DecodeCache, pc: int, pn: int, word: int) -> Any:
    """What VCPU.decode_at records for a closure decoded at ``pc`` from physical page ``pn``."""
    fn = _fn(word)
    cache[pc] = fn
    cache.words[pc] = word
    cache.by_page.setdefault(pn, []).append(pc)
    if pc >> 12 not in cache.by_ea:
        cache.by_ea[pc >> 12] = {}
        cache.ea_pa[pc >> 12] = pn
    cache.by_ea[pc >> 12][pc] = fn
    return fn


def test_suspend_sets_every_page_aside_and_revive_brings_it_back() -> None:
    cache = DecodeCache()
    a = _decode(cache, 0xC000_0000_0000_1000, 0x51, 1)
    b = _decode(cache, 0xC000_0000_0000_1004, 0x51, 2)
    gen = cache.gen
    cache.suspend()
    assert not cache and not cache.by_ea and cache.gen > gen
    assert cache.revive(0xC000_0000_0000_1, 0x51)
    assert cache[0xC000_0000_0000_1000] is a and cache[0xC000_0000_0000_1004] is b
    assert cache.words[0xC000_0000_0000_1004] == 2
    assert cache.by_ea[0xC000_0000_0000_1] == {0xC000_0000_0000_1000: a, 0xC000_0000_0000_1004: b}


def test_revive_onto_another_physical_page_forgets_the_code() -> None:
    cache = DecodeCache()
    _decode(cache, 0x1000, 0x51, 1)
    cache.suspend()
    assert not cache.revive(0x1, 0x52)
    assert not cache.held and 0x1000 not in cache


def test_code_dropped_while_live_is_not_set_aside() -> None:
    cache = DecodeCache()
    _decode(cache, 0x1000, 0x51, 1)
    kept = _decode(cache, 0x1FFC, 0x51, 2)
    other = _decode(cache, 0x2000, 0x60, 3)
    cache.by_page[0x51].remove(0x1FFC)  # as if 0x1ffc had been decoded from another page
    cache.drop_page(0x51)  # a store to the page
    assert 0x1000 not in cache.by_ea[0x1]
    cache.suspend()
    assert cache.revive(0x1, 0x51) and cache.revive(0x2, 0x60)
    assert 0x1000 not in cache
    assert cache[0x1FFC] is kept and cache[0x2000] is other


def test_a_page_written_while_set_aside_is_not_revived() -> None:
    cache = DecodeCache()
    _decode(cache, 0x1000, 0x51, 1)
    cache.suspend()
    cache.drop_page(0x51)
    assert not cache.revive(0x1, 0x51) and 0x1000 not in cache


def test_revive_keeps_closures_decoded_since_and_their_words() -> None:
    cache = DecodeCache()
    _decode(cache, 0x1000, 0x51, 1)
    _decode(cache, 0x1004, 0x51, 2)
    cache.suspend()
    # A fetch at 0x1004 revives the page first (VCPU.decode_at), so decode straight into a
    # live page: the newer closure and its word win, the set-aside one fills the rest.
    newer = _decode(cache, 0x1004, 0x51, 9)
    assert cache.revive(0x1, 0x51)
    assert cache[0x1004] is newer and cache.by_ea[0x1][0x1004] is newer
    assert cache.words[0x1004] == 9 and cache.words[0x1000] == 1


def test_repeated_suspends_keep_what_was_set_aside_before() -> None:
    cache = DecodeCache()
    a = _decode(cache, 0x1000, 0x51, 1)
    cache.suspend()
    b = _decode(cache, 0x3000, 0x70, 2)  # another page, live between the two flushes
    cache.suspend()
    assert cache.revive(0x1, 0x51) and cache.revive(0x3, 0x70)
    assert cache[0x1000] is a and cache[0x3000] is b


def test_drop_range_forgets_live_and_set_aside_code() -> None:
    cache = DecodeCache()
    _decode(cache, 0x1000, 0x51, 1)
    cache.suspend()
    _decode(cache, 0x2000, 0x52, 2)
    cache.drop_range(0x0, 0x3000)
    assert not cache and not cache.held and not cache.by_ea
