"""The download queue: one at a time, pause, resume, cancel; against the loopback Hub."""

from __future__ import annotations

import pytest

from desktop.core import hub_progress
from desktop.core.hub import DownloadItem, DownloadQueue, DownloadState
from tests.core.hub_env import BIG, REPO, SMALL, Env, cdn_gets, dest


def test_queue_runs_downloads_one_at_a_time(env: Env) -> None:
    events: list[DownloadItem] = []
    queue = DownloadQueue(events.append)
    first = queue.add(REPO, SMALL)
    second = queue.add(REPO, BIG)
    assert queue.wait(10)
    assert [i.state for i in queue.items()] == [DownloadState.DONE, DownloadState.DONE]
    assert queue.get(second.id).paths == (dest() / BIG,)
    running = [e.id for e in events if e.state == DownloadState.RUNNING and e.progress is None]
    assert running == [first.id, second.id]
    done_first = next(i for i, e in enumerate(events) if e.state == DownloadState.DONE)
    assert all(e.id == first.id for e in events[:done_first] if e.state != DownloadState.QUEUED)
    queue.close()


def test_queue_pause_resume_and_cancel(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_progress.Tracker, "EVERY_S", 0.0)
    stop_with: list[DownloadState] = []
    queue: DownloadQueue

    def listener(item: DownloadItem) -> None:
        if stop_with and item.progress is not None and item.progress.done > 0:
            action = stop_with.pop()
            (queue.pause if action == DownloadState.PAUSED else queue.cancel)(item.id)

    queue = DownloadQueue(listener)
    stop_with.append(DownloadState.PAUSED)
    item = queue.add(REPO, BIG)
    assert queue.wait(10)
    assert queue.get(item.id).state == DownloadState.PAUSED
    assert len(list(dest().glob("*.incomplete"))) == 1

    queue.resume(item.id)
    assert queue.wait(10)
    assert queue.get(item.id).state == DownloadState.DONE
    assert cdn_gets(env.server)[-1] not in (None, "bytes=0-")

    (dest() / BIG).unlink()
    stop_with.append(DownloadState.CANCELLED)
    again = queue.add(REPO, BIG)
    assert queue.wait(10)
    assert queue.get(again.id).state == DownloadState.CANCELLED
    assert not list(dest().glob("*.incomplete"))

    failed = queue.add("corp/Gated-GGUF", SMALL)
    assert queue.wait(10)
    state = queue.get(failed.id)
    assert state.state == DownloadState.FAILED and state.error and "HF_TOKEN" in state.error
    queue.close()
