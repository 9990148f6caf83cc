"""The Lab window, offscreen: experiments run end to end in a worker on the tiny model,
cancel, save, reopen after a restart, export."""

from __future__ import annotations

import json

from desktop.core.results import list_results
from desktop.core.store import Store
from desktop.ui.lab.window import LabWindow

WAIT = 120_000


def _window(qtbot, model) -> LabWindow:
    w = LabWindow(lambda: model, Store())
    qtbot.addWidget(w)
    w.n_ctx.setValue(512)
    return w


def _run(qtbot, w: LabWindow) -> None:
    w.run_current()
    assert w.running()
    qtbot.waitUntil(lambda: w.worker is None and not w.running(), timeout=WAIT)


def test_repetition_runs_saves_reopens_and_exports(qtbot, tiny_model, tmp_path) -> None:
    w = _window(qtbot, tiny_model)
    w.experiments.setCurrentRow(2)
    view = w.view
    assert view.kind == "lab.repetition"
    view.max_k.setValue(2)
    view.sentence.setText("Hello world.")
    _run(qtbot, w)
    assert view.result is not None and [p.k for p in view.result.points] == [0, 1, 2]
    assert w.saved.count() == 1 and w.export_button.isEnabled()
    for name in ("r.csv", "r.json", "r.png"):
        w.export(tmp_path / name)
    assert (tmp_path / "r.csv").read_text().startswith("k,p_repeat,")
    assert json.loads((tmp_path / "r.json").read_text())["kind"] == "lab.repetition"
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    points = view.result.points
    w.close()
    # a restart: a new window over the same store shows the saved result without a model
    w2 = LabWindow(lambda: None, Store())
    qtbot.addWidget(w2)
    assert w2.saved.count() == 1
    w2.open_result(list_results(Store(), "lab.")[0].id)
    assert w2.view.kind == "lab.repetition" and w2.view.result.points == points
    w2.close()


def test_cancel_stops_a_long_run_and_saves_nothing(qtbot, tiny_model) -> None:
    w = _window(qtbot, tiny_model)
    w.n_ctx.setValue(2048)
    view = w.view
    assert view.kind == "lab.needle"
    view.lengths.setText("256, 512, 1024, 1900")
    view.depths.setText(",".join(str(d) for d in range(0, 101, 5)))
    w.run_current()
    qtbot.waitUntil(lambda: w.bar.value() >= 1, timeout=WAIT)  # under way
    assert w.eta.text()
    w.cancel_button.click()
    qtbot.waitUntil(lambda: w.worker is None and not w.running(), timeout=WAIT)
    assert view.result is None and w.saved.count() == 0
    assert w.run_button.isEnabled() and not w.cancel_button.isEnabled()
    assert "Cancelled" in w.message.text()
    w.close()


def test_numbers_temperature_reweights_without_the_model(qtbot, tiny_model) -> None:
    w = _window(qtbot, tiny_model)
    w.experiments.setCurrentRow(1)
    view = w.view
    _run(qtbot, w)
    assert view.result is not None
    before = view.summary.text()
    assert "Entropy" in before
    view.temperature.setValue(10)  # T = 0.5, computed from the stored values
    assert view.t() == 0.5 and view.summary.text() != before
    assert len(view.rows()) == 100
    w.close()


def test_tokenizers_need_no_model_and_others_ask_for_one(qtbot) -> None:
    w = LabWindow(lambda: None, Store())
    qtbot.addWidget(w)
    w.run_current()  # the needle needs a model
    assert not w.running() and "Load a model" in w.message.text()
    w.experiments.setCurrentRow(3)
    w.view.vocab.setValue(1000)
    _run(qtbot, w)
    assert w.view.result is not None and w.view.table.rowCount() == 4
    w.close()


def test_the_lab_opens_from_the_file_menu_on_the_loaded_model(qtbot, window, ui_engine) -> None:
    window.action("lab").trigger()
    lab = window.lab.window
    assert lab is not None and lab.isVisible()
    assert lab.model_path() == ui_engine.path
    assert lab.store is window.history.store
    lab.n_ctx.setValue(512)
    lab.experiments.setCurrentRow(3)
    lab.view.vocab.setValue(1000)
    _run(qtbot, lab)
    assert [t.tokenizer for t in lab.view.result.tokenizations] == ["model", "spm"]
    assert lab.holder.engine is not ui_engine  # its own context: the chat's cache is untouched
    window.close()
    assert not lab.isVisible() and lab.holder.engine is None
