"""A bad setting stops the worker before anything starts, naming the variable and its form."""

import pytest

from eventcollab.settings import from_environment


def test_every_wrong_setting_is_named_with_what_it_should_be(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENTCOLLAB_PARTITIONS", "eight")
    monkeypatch.setenv("EVENTCOLLAB_SERVICE", "billing")
    monkeypatch.setenv("EVENTCOLLAB_DEADLINE_CHECK_SECONDS", "0")
    monkeypatch.setenv("EVENTCOLLAB_WEB_PORT", "6066")  # a right one is not named

    with pytest.raises(SystemExit) as stopped:
        from_environment()

    message = str(stopped.value.code)
    assert message.splitlines() == [
        "eventcollab: not started, these settings are wrong:",
        "  EVENTCOLLAB_SERVICE='billing': Input should be 'all', 'orders', 'payments', "
        "'inventory', 'shipping' or 'tracker'",
        "  EVENTCOLLAB_PARTITIONS='eight': Input should be a valid integer, unable to parse "
        "string as an integer",
        "  EVENTCOLLAB_DEADLINE_CHECK_SECONDS='0': Input should be greater than 0",
    ]


def test_right_settings_are_read() -> None:
    assert from_environment().partitions == 8
