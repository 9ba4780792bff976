"""Stored states kept decoded, so that a state read again is not decoded again.

Most events of a workflow reach a processor within a second of each other, each in a unit of
work of its own: without this, each of them decoded the workflow's whole stored state again
(pydantic validating its JSON), the largest single cost of loading a state. The states are
immutable models, so one decoded copy can be handed to every reader.
"""

from collections import OrderedDict
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

# States kept per partition store. A workflow is read a few times within seconds and then
# rarely: the states of the workflows in flight are what counts, a few hundred per partition at
# the benchmark's half load. A tracker state takes about 9 KB decoded (1.7 KB stored): 512 of
# them on each of 8 partitions, about 38 MB.
KEPT_PER_PARTITION = 512


class Decoded:
    """The decoded state of recently read or written keys, least recently used first out.

    Its owner keeps it equal to what it stores: `put` after writing a key's value, `drop` after
    writing anything else to it (a value without its decoded state, or a delete).
    """

    def __init__(self, limit: int = KEPT_PER_PARTITION) -> None:
        self.limit = limit
        # Not a plain dict: taking its first key again and again is slow (each removal leaves
        # a hole that the next search for the first key walks over).
        self.states: OrderedDict[bytes, BaseModel] = OrderedDict()

    def get(self, key: bytes, model: type[M]) -> M | None:
        state = self.states.get(key)
        if state is None:
            return None
        self.states.move_to_end(key)
        return state if isinstance(state, model) else None

    def put(self, key: bytes, state: BaseModel) -> None:
        self.states[key] = state
        self.states.move_to_end(key)
        if len(self.states) > self.limit:
            self.states.popitem(last=False)

    def drop(self, key: bytes) -> None:
        self.states.pop(key, None)

    def written(
        self, changes: Mapping[bytes, bytes | None], states: Mapping[bytes, BaseModel] | None
    ) -> None:
        """After its owner wrote `changes`: keep the decoded states given for the values
        written, forget every other key written (a value given without its state, a delete)."""
        given = states or {}
        for key, value in changes.items():
            state = given.get(key) if value is not None else None
            if state is None:
                self.drop(key)
            else:
                self.put(key, state)

    def clear(self) -> None:
        self.states.clear()
