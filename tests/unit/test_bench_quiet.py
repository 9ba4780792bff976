"""The bench keeps its own garbage collections out of the phases it times."""

import gc

import pytest

from eventcollab.bench.quiet import uncollected


def test_no_collection_inside_and_the_collector_back_on_after() -> None:
    assert gc.isenabled()
    with uncollected():
        assert not gc.isenabled()
        with uncollected():  # one use inside another
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_back_on_when_the_phase_fails() -> None:
    with pytest.raises(TimeoutError), uncollected():
        raise TimeoutError
    assert gc.isenabled()
