"""The workers: batched updates, errors as messages, never a traceback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from desktop.core.conversation import Conversation
from desktop.core.engine import EvalStats
from desktop.core.errors import ContextOverflowError
from desktop.core.generation import DoneEvent, Event, PromptEvent, TokenEvent
from desktop.ui.worker import GenerationWorker, TaskWorker


class FakeSession:
    def __init__(self) -> None:
        self.conversation = Conversation()
        self.last_plan = None


def fake_reply(session: FakeSession, n: int, every: float) -> Any:
    def start(cancel: threading.Event) -> Iterator[Event]:
        node = session.conversation.add(None, "assistant")

        def events() -> Iterator[Event]:
            yield PromptEvent(EvalStats(5, 0, 5, 0.01))
            for _ in range(n):
                if cancel.is_set():
                    node.finish_reason = "cancelled"
                    break
                time.sleep(every)  # a token's worth of work
                node.content += "x"
                yield TokenEvent(None, "x")  # type: ignore[arg-type]
            yield DoneEvent(node.finish_reason or "length", node.content, [],
                            EvalStats(5, 0, 5, 0.01), 0, 0.0, 0.0)

        return events()

    return start


def test_updates_are_batched_not_per_token() -> None:
    session = FakeSession()
    worker = GenerationWorker(session, fake_reply(session, 300, 0.001), interval=0.04)  # type: ignore[arg-type]
    progress: list[int] = []
    finished: list[tuple[int, str]] = []
    worker.progress.connect(progress.append)
    worker.finished.connect(lambda i, r: finished.append((i, r)))
    t0 = time.monotonic()
    worker.run()  # synchronously, in this thread
    seconds = time.monotonic() - t0
    assert finished == [(1, "length")]
    assert 1 <= len(progress) <= seconds / 0.04 + 2
    assert len(progress) < 300 / 10


def test_cancel_stops_within_a_token() -> None:
    session = FakeSession()
    worker = GenerationWorker(session, fake_reply(session, 10_000, 0.0))  # type: ignore[arg-type]
    worker.progress.connect(lambda _id: worker.cancel.set())
    worker.interval = 0.0
    worker.run()
    node = session.conversation.nodes[1]
    assert node.finish_reason == "cancelled"
    assert len(node.content) <= 2


def test_errors_become_messages() -> None:
    session = FakeSession()

    def start(cancel: threading.Event) -> Iterator[Event]:
        raise ContextOverflowError(5000, 4096)

    worker = GenerationWorker(session, start)  # type: ignore[arg-type]
    failed: list[str] = []
    done: list[bool] = []
    worker.failed.connect(failed.append)
    worker.done.connect(lambda: done.append(True))
    worker.run()
    assert failed and "4096" in failed[0] and "Traceback" not in failed[0]
    assert done == [True]


def test_unexpected_errors_are_reported_too() -> None:
    def boom(report: Any) -> None:
        report("working")
        raise KeyError("surprise")

    worker = TaskWorker(boom)
    messages: list[str] = []
    failed: list[str] = []
    worker.message.connect(messages.append)
    worker.failed.connect(failed.append)
    worker.run()
    assert messages == ["working"]
    assert failed and "surprise" in failed[0] and "log" in failed[0]
