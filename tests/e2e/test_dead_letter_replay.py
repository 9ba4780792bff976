"""Dead letters replayed on the real broker: published again to their topics, each marked once its
service has read the copy, never published twice, and back in the dead letters with their
history when the record fails again.

Payments is made to fail on chosen orders (EVENTCOLLAB_FAIL_ON), so that their OrderPlaced is
dead-lettered; the fix is the same worker started again without the fault.
"""

import asyncio
import signal
import subprocess
from collections import Counter
from uuid import uuid4

import aiohttp
from aiokafka import AIOKafkaProducer

from eventcollab.dead_letter import REPLAY_OF, DeadLetter, ids_in
from eventcollab.replay.marks import Marks, latest
from tests.e2e.conftest import started
from tests.e2e.fuzz import Malformed
from tests.e2e.harness import (
    BOOTSTRAP,
    EVENTCOLLAB,
    Deployment,
    events_on,
    eventually,
    outcome,
    place_order,
    read_topic,
    workflow,
)
from tests.e2e.test_dead_letters import readers_failing

FAULT = "payments:OrderPlaced:doomed-"


def with_fault(deployment: Deployment) -> Deployment:
    deployment.settings["EVENTCOLLAB_FAIL_ON"] = FAULT
    # The doomed orders wait for payments meanwhile: no deadline may cancel them first.
    deployment.settings["EVENTCOLLAB_DEADLINE_AUTHORIZE_SECONDS"] = "600"
    return started(deployment, "all")


def fixed(deployment: Deployment) -> None:
    """The worker started again without the fault, as after a fix was deployed."""
    [worker] = deployment.workers
    worker.stop()
    del deployment.settings["EVENTCOLLAB_FAIL_ON"]
    worker.env = deployment.env("all")
    worker.start().wait_ready()


async def place(
    deployment: Deployment, http: aiohttp.ClientSession, customers: list[str]
) -> list[str]:
    sku = f"REPLAY-{uuid4().hex[:8]}"
    deployment.run_command("restock", sku, "1000")
    item = {"sku": sku, "quantity": 1, "unit_price": "4.00"}
    return [
        await place_order(http, deployment.orders_url, {"customer_id": who, "items": [item]})
        for who in customers
    ]


async def dead_letters(deployment: Deployment, count: int) -> list[DeadLetter]:
    """The dead letters on the topic, each once, once there are at least `count`."""

    async def enough() -> list[DeadLetter] | None:
        records = await read_topic(deployment.topic("dead-letters"))
        found = {
            x.dead_letter_id: x for x in (DeadLetter.model_validate_json(r.value) for r in records)
        }
        return list(found.values()) if len(found) >= count else None

    return await eventually(enough, timeout=60)


async def marks(deployment: Deployment) -> Marks:
    return latest(r.value for r in await read_topic(deployment.topic("dead-letter-replays")))


async def copies(deployment: Deployment, *topics: str) -> Counter[str]:
    """How many records on the topics replay each dead letter (eventcollab-replay-of)."""
    counted: Counter[str] = Counter()
    for topic in topics or ("orders",):
        for record in await read_topic(deployment.topic(topic)):
            for key, value in record.headers:
                if key == REPLAY_OF:
                    counted.update(str(one) for one in ids_in(value))
    return counted


def replay(deployment: Deployment, *args: str) -> str:
    return deployment.run_command("replay-dead-letters", *args)


async def test_dead_letters_replayed_after_the_fix_complete_their_orders_once(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    with_fault(deployment)
    customers = ["doomed-1", "fine-1", "doomed-2", "doomed-3"]
    placed = await place(deployment, http, customers)
    doomed = [cid for cid, who in zip(placed, customers, strict=True) if who.startswith("doomed")]
    await outcome(http, deployment.tracker_url, placed[1])
    letters = await dead_letters(deployment, 3)
    fixed(deployment)

    dry = replay(deployment, "--service", "payments", "--dry-run")
    assert dry.splitlines()[-1] == "dry run  dead letters to replay 3, records to publish 3"
    assert await copies(deployment) == Counter()
    done = replay(deployment, "--service", "payments")

    assert done.splitlines()[-1] == "summary  done 3, records published 3"
    states = [await outcome(http, deployment.tracker_url, cid) for cid in doomed]
    assert [state["status"] for state in states] == ["completed"] * 3
    marked = await marks(deployment)
    assert {x.dead_letter_id: marked[x.dead_letter_id].outcome for x in letters} == {
        x.dead_letter_id: "done" for x in letters
    }
    payments = await events_on(deployment.topic("payments"))
    per_order = Counter(e.correlation_id for e in payments if e.event_type == "PaymentAuthorized")
    assert per_order == dict.fromkeys(placed, 1)
    assert await copies(deployment) == {str(x.dead_letter_id): 1 for x in letters}

    assert replay(deployment, "--service", "payments").splitlines() == ["nothing to replay"]
    assert await copies(deployment) == {str(x.dead_letter_id): 1 for x in letters}
    listed = deployment.run_command("dead-letters")
    assert "dead letters  0 (of 3 on the topic)" in listed
    assert "replayed      3 done, not listed (--all lists them)" in listed
    assert deployment.run_command("dead-letters", "--all").count(", done") == 3
    deployment.run_command("audit", "--grace", "0")


async def test_a_record_that_fails_again_comes_back_with_its_history_and_is_replayed_no_more(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    with_fault(deployment)
    first_order, second_order = await place(deployment, http, ["doomed-a", "doomed-b"])
    first = next(x for x in await dead_letters(deployment, 2) if x.key_text == first_order)

    out = replay(deployment, "--id", first_order)

    assert out.splitlines()[-1] == "summary  failed again 1, records published 1"
    again = next(x for x in await dead_letters(deployment, 3) if x.history)
    assert (again.key_text, again.history) == (first_order, (first.dead_letter_id,))
    mark = (await marks(deployment))[first.dead_letter_id]
    assert (mark.outcome, mark.again, mark.offset) == (
        "failed again",
        again.dead_letter_id,
        again.offset,
    )

    # Run again, the fault still on: the record comes back once more, its history oldest first;
    # the first dead letter, marked, is not published again; the other order's is, once.
    out = replay(deployment)

    assert out.splitlines()[-1] == "summary  failed again 2, records published 2"
    latest_letters = await dead_letters(deployment, 5)
    third = next(x for x in latest_letters if len(x.history) == 2)
    assert third.history == (first.dead_letter_id, again.dead_letter_id)
    assert Counter((await copies(deployment)).values()) == {1: 3}
    state = await workflow(http, deployment.tracker_url, second_order)
    assert (state["status"], state["waiting_for"]["service"]) == ("in_progress", "payments")


async def test_an_interrupted_replay_run_again_publishes_every_record_once(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    with_fault(deployment)
    placed = await place(deployment, http, [f"doomed-{n}" for n in range(10)])
    letters = await dead_letters(deployment, 10)
    fixed(deployment)
    command = [str(EVENTCOLLAB), "replay-dead-letters", "--window", "1"]
    running = subprocess.Popen(
        command, env=deployment.env("all"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )

    async def some_out() -> int | None:
        published = sum((await copies(deployment)).values())
        return published if published >= 2 else None

    await eventually(some_out, timeout=60)
    running.send_signal(signal.SIGINT)
    stdout, stderr = running.communicate(timeout=60)

    assert running.returncode == 130, stdout.decode() + stderr.decode()
    assert b"interrupted: the same command goes on where it stopped" in stdout
    before = await copies(deployment)
    assert 2 <= sum(before.values()) < 10 and set(before.values()) == {1}
    again = replay(deployment)
    assert again.startswith("resuming from ")
    assert await copies(deployment) == {str(x.dead_letter_id): 1 for x in letters}
    marked = await marks(deployment)
    assert {marked[x.dead_letter_id].outcome for x in letters} == {"done"}
    states = await asyncio.gather(*(outcome(http, deployment.tracker_url, c) for c in placed))
    assert {state["status"] for state in states} == {"completed"}
    assert replay(deployment).splitlines() == ["nothing to replay"]


async def test_malformed_records_replayed_go_back_to_the_dead_letters(
    deployment: Deployment, http: aiohttp.ClientSession
) -> None:
    started(deployment, "all")
    cid = str(uuid4())
    malformed = [
        Malformed(
            "truncated-json",
            "orders",
            cid.encode(),
            f'{{"event_type": "OrderPlaced", "correlation_id": "{cid}", "ord'.encode(),
        ),
        Malformed("random-bytes", "payments", b"junk", b"\xff\x00"),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    await producer.start()
    try:
        for record in malformed:
            await producer.send_and_wait(
                deployment.topic(record.topic), record.value, key=record.key
            )
    finally:
        await producer.stop()
    # Each is dead-lettered by every reader of its topic that does not pass it over by its type.
    failing = [service for record in malformed for service in readers_failing(record)]
    letters = sorted(await dead_letters(deployment, len(failing)), key=lambda x: x.dead_lettered_at)
    assert sorted(x.service for x in letters) == sorted(failing)

    out = replay(deployment)

    assert out.splitlines()[-1] == f"summary  failed again {len(letters)}, records published 2"
    marked = await marks(deployment)
    after = {x.dead_letter_id: x for x in await dead_letters(deployment, 2 * len(letters))}
    for letter in letters:
        mark = marked[letter.dead_letter_id]
        assert mark.outcome == "failed again" and mark.again is not None
        new = after[mark.again]
        assert (new.service, new.key, new.value) == (letter.service, letter.key, letter.value)
        assert new.error_type == letter.error_type
        # Its history names every dead letter of the record, oldest first.
        group = [
            x.dead_letter_id
            for x in letters
            if (x.topic, x.offset) == (letter.topic, letter.offset)
        ]
        assert list(new.history) == group
    assert Counter((await copies(deployment, "orders", "payments")).values()) == {1: len(letters)}
