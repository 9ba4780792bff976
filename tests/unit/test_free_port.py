"""Ports for workers started together: never the same one twice, even if the kernel offers it."""

from typing import Any

import pytest

from eventcollab.crash import processes


class OfferedPorts:
    """A stand-in for socket.socket whose bind(0) gets the ports of `offers` in turn."""

    def __init__(self, offers: list[int]) -> None:
        self.offers = offers

    def __call__(self) -> "OfferedPorts":
        return self

    def __enter__(self) -> "OfferedPorts":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass

    def bind(self, address: tuple[str, int]) -> None:
        pass

    def getsockname(self) -> tuple[str, int]:
        return ("127.0.0.1", self.offers.pop(0))


def test_a_port_offered_again_is_not_handed_out_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(processes.socket, "socket", OfferedPorts([41001, 41001, 41002]))
    monkeypatch.setattr(processes, "handed_out", set())

    assert [processes.free_port(), processes.free_port()] == [41001, 41002]
