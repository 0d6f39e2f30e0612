"""The collector pause around a release: off inside, restored after, nested pauses share it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from koppelvlak.release.gc_pause import collector_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


class TestCollectorPaused:
    def test_the_collector_is_off_inside_and_on_again_after(self, collector_on: None) -> None:
        with collector_paused():
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_a_nested_pause_keeps_it_off_until_the_outer_one_ends(self, collector_on: None) -> None:
        with collector_paused():
            with collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()
        assert gc.isenabled()

    def test_it_is_switched_on_again_when_the_release_fails(self, collector_on: None) -> None:
        with pytest.raises(ValueError, match="boom"), collector_paused():
            raise ValueError("boom")
        assert gc.isenabled()

    def test_a_collector_that_was_off_stays_off(self, collector_on: None) -> None:
        gc.disable()
        with collector_paused():
            pass
        assert not gc.isenabled()
