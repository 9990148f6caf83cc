"""The token inspector's stage chips fit the dock: one row when there is room, more rows
when there is not, never cut off at the right — in English and in Chinese, at the
window's default size and with a larger font."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from desktop.ui.panels._stages import StageStrip
from tests.ui.test_i18n import language  # noqa: F401  (the fixture)
from tests.ui.test_main_window import send, use_seed

NAMES = ["raw", "penalty", "top-k", "typical", "top-p", "min-p", "temp."]


def strip_at(qtbot: Any, width: int) -> StageStrip:
    strip = StageStrip()
    qtbot.addWidget(strip)
    strip.set_stages(NAMES, [64, 64, 40, 40, 20, 11, 11], [""] * 7, [True] * 7)
    strip.resize(width, strip.heightForWidth(width))
    return strip


def test_chips_share_one_row_when_they_fit_and_wrap_evenly_when_not(qtbot: Any) -> None:
    wide = strip_at(qtbot, 2000)
    assert wide.heightForWidth(2000) == wide.sizeHint().height()  # one row
    narrow_width = wide.sizeHint().width() // 2
    narrow = strip_at(qtbot, narrow_width)
    rows = narrow.heightForWidth(narrow_width) // wide.sizeHint().height()
    assert rows >= 2
    segments = [narrow._segment(i) for i in range(len(NAMES))]
    for i, seg in enumerate(segments):
        assert narrow.rect().contains(seg), (i, seg)  # nothing off the right edge
        assert narrow._index_at(seg.center()) == i  # and a click finds its chip
        assert seg.width() >= narrow._chip_width() - 1  # names are not squeezed
    # rows as even as can be: 4 + 3, not 6 + 1
    per_row = [sum(1 for s in segments if s.y() == y) for y in sorted({s.y() for s in segments})]
    assert max(per_row) - min(per_row) <= 1


def test_a_click_on_the_second_row_selects_its_stage(qtbot: Any) -> None:
    strip = strip_at(qtbot, strip_at(qtbot, 2000).sizeHint().width() // 2)
    strip.show()
    last = strip._segment(len(NAMES) - 1)
    assert last.y() > 0  # on the second row
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=last.center())
    assert strip.current() == len(NAMES) - 1


@pytest.fixture
def big_font(qapp: Any) -> Iterator[None]:
    old = QFont(qapp.font())
    font = QFont(old)
    font.setPointSizeF(old.pointSizeF() * 1.4)
    qapp.setFont(font)
    yield
    qapp.setFont(old)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("font", ["default", "large"])
def test_every_chip_is_visible_in_the_dock_at_the_default_size(
    qtbot: Any, store: Any, ui_engine: Any, language: Any, request: Any,  # noqa: F811
    lang: str, font: str,
) -> None:
    language(lang)
    if font == "large":
        request.getfixturevalue("big_font")
    from desktop.ui.main_window import MainWindow

    use_seed(store)
    store.max_tokens = 8
    win = MainWindow(store, engine=ui_engine, restore_layout=False)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    assert (win.width(), win.height()) == (1280, 820) or font == "large"
    reply = send(qtbot, win)
    win.state.select_token(reply.id, 1)
    QApplication.processEvents()
    inspector = win.inspector
    strip = inspector.strip
    viewport = inspector.scroll_area.viewport()
    right = strip.mapTo(viewport, QPoint(strip.width(), 0)).x()
    assert right <= viewport.width()
    for i in range(len(strip.counts)):
        seg = strip._segment(i)
        assert strip.rect().contains(seg)
        assert seg.width() >= strip._chip_width() - 1
    win.close()
