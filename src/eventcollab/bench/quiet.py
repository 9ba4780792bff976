"""The bench's own garbage collections kept out of what it times.

A full collection of the bench's heap paused its process for 40-150 ms (measured with
`gc.callbacks` during a status phase; the status prober's own took 35-120 ms). A paused bench
sends late, stamps completions late and answers queries late, and every such delay was counted
against whichever contender was being measured.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def uncollected() -> Iterator[None]:
    """No garbage collection inside; what piled up is collected after, outside the timing.
    Nested uses leave the collector off until the outermost one ends."""
    was_on = gc.isenabled()
    if was_on:
        gc.collect()
        gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
            gc.collect()
