"""The benchmark's profile summary: samples counted by what their innermost known frame did."""

from eventcollab.bench.profile import summarize
from eventcollab.bench.report import profiled

STACKS = "\n".join(
    [
        "run (eventcollab/runtime/processor.py:149);decoded (eventcollab/agents/__init__.py:24);"
        "decode_event (eventcollab/codec.py:14);validate_json (pydantic/type_adapter.py:466) 6",
        "run (eventcollab/runtime/processor.py:149);handle (eventcollab/agents/__init__.py:50);"
        "save (eventcollab/runtime/work.py:51);encode (eventcollab/codec.py:10) 3",
        "_run_once (asyncio/base_events.py:1922);select (selectors.py:468) 1",
    ]
)


def test_samples_are_counted_by_the_innermost_frame_that_says_what_they_did() -> None:
    summary = summarize(STACKS)

    assert summary["samples"] == 10
    assert summary["kinds_percent"] == {
        "decode events (pydantic)": 60.0,
        "encode events and states (pydantic)": 30.0,
        "garbage collection, logging, event loop": 10.0,
    }
    assert summary["top_self_percent"][0] == ("validate_json (pydantic/type_adapter.py:466)", 60.0)


def test_the_report_shows_the_profile_or_why_there_is_none() -> None:
    shown = "\n".join(profiled({"profile": summarize(STACKS) | {"workflows_per_s": 1000.0}}))
    assert "| decode events (pydantic) | 60.0 % |" in shown
    assert "not taken (py-spy failed)" in "\n".join(
        profiled({"profile": {"error": "py-spy failed"}})
    )
