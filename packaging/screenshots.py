"""Screenshots of the real window, for the README and the app stores, and to look at.

Runs the app on a real X display (starts Xvfb on :99, or the next free display, when
DISPLAY is unset), loads SmolLM2-135M-Instruct, types an English and a Chinese prompt,
turns on heat mode, selects a token for the inspector, branches a reply, opens every panel
and the settings, and saves PNGs into the folder given.

  .venv/bin/python packaging/screenshots.py OUT_DIR [--model M.gguf] [--lang zh_CN]

Needs Xvfb and Qt's xcb libraries (Debian/Ubuntu):
  apt-get install -y xvfb libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 \\
      libxcb-shape0 libxcb-render-util0 libxcb-image0 libegl1 fonts-noto-cjk
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ENGLISH = "What is the capital of France? Answer in two sentences."
CHINESE = "你好！请用中文介绍一下你自己。"
CODE = "Write a Python function that returns the square of a number, with an example."
TIPS = "Give me three tips for learning a new language."
SIZE = (1500, 940)


def ensure_display() -> None:
    """Use $DISPLAY, or start Xvfb on :99 for the length of this script."""
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    if os.environ.get("DISPLAY"):
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("screenshots: no DISPLAY and no Xvfb; install it: apt-get install -y xvfb")
    number = 99
    while Path(f"/tmp/.X11-unix/X{number}").exists():  # another X server has that one
        number += 1
    display = f":{number}"
    # -terminate: the server goes away with its last client, even if this script crashes
    proc = subprocess.Popen(
        [xvfb, display, "-screen", "0", f"{SIZE[0] + 100}x{SIZE[1] + 100}x24", "-nolisten",
         "tcp", "-terminate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    atexit.register(proc.terminate)
    socket = Path(f"/tmp/.X11-unix/X{number}")
    for _ in range(100):
        if socket.exists():
            break
        time.sleep(0.05)
    os.environ["DISPLAY"] = display


def default_model() -> Path:
    cached = Path.home() / ".cache" / "tokenscope-tests" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if cached.exists():
        return cached
    from tests.models import smollm2_path

    return smollm2_path()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Save screenshots of the Tokenscope window.")
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--lang", default="en", help="en or zh_CN (the window's language)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    ensure_display()
    tmp = Path(tempfile.mkdtemp(prefix="tokenscope-shots-"))
    for var, sub in (("TOKENSCOPE_DATA_DIR", "data"), ("TOKENSCOPE_CONFIG_DIR", "config"),
                     ("TOKENSCOPE_LOG_DIR", "log")):
        os.environ.setdefault(var, str(tmp / sub))

    from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt, QTimer
    from PySide6.QtGui import QHelpEvent, QInputMethodEvent, QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QToolTip

    import desktop.ui.compat  # noqa: F401
    from desktop.core.sampling import SamplerSettings
    from desktop.ui.app import create_app, install_translators
    from desktop.ui.main_window import MainWindow
    from desktop.ui.settings_dialog import SettingsDialog
    from desktop.ui.settings_store import SettingsStore

    app = create_app(["tokenscope"])
    install_translators(app, args.lang)
    store = SettingsStore(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat))
    store.save_preset("screenshots", SamplerSettings(seed=7))
    store.preset_name = "screenshots"
    store.max_tokens = 120
    suffix = "" if args.lang == "en" else f"-{args.lang}"
    model = args.model or default_model()

    def wait(done: Callable[[], bool], timeout: float = 120.0) -> None:
        loop = QEventLoop()
        deadline = time.monotonic() + timeout
        timer = QTimer()
        timer.timeout.connect(
            lambda: loop.quit() if done() or time.monotonic() > deadline else None
        )
        timer.start(20)
        loop.exec()
        timer.stop()

    def settle(seconds: float = 0.3) -> None:
        end = time.monotonic() + seconds
        wait(lambda: time.monotonic() > end)

    def shot(widget: object, name: str, whole_screen: bool = False) -> None:
        settle()
        screen = app.primaryScreen()
        if whole_screen:
            pixmap = screen.grabWindow(0, 0, 0, SIZE[0], SIZE[1])
        else:
            pixmap = screen.grabWindow(widget.winId())  # type: ignore[attr-defined]
        path = args.out / f"{name}{suffix}.png"
        pixmap.save(str(path))
        print(path)

    def place(win: MainWindow) -> None:
        win.resize(*SIZE)
        win.move(0, 0)
        win.show()
        win.activateWindow()

    # 1. the first-run page
    first = MainWindow(store, restore_layout=False)
    place(first)
    shot(first, "00-first-run")
    first.close()

    # 2. load the model as a user would (in a thread, with the build check)
    win = MainWindow(store, model_path=model, restore_layout=False)
    place(win)
    wait(lambda: win.state.session is not None)
    if win.state.session is None:
        print("screenshots: the model did not load", file=sys.stderr)
        return 1

    def say(text: str) -> None:
        edit = win.composer.edit
        edit.setFocus()
        if text.isascii():
            QTest.keyClicks(edit, text)
        else:  # Chinese arrives from an input method as committed text
            event = QInputMethodEvent()
            event.setCommitString(text)
            QApplication.sendEvent(edit, event)
        QTest.keyClick(edit, Qt.Key.Key_Return)
        wait(lambda: not win.state.generating)

    say(ENGLISH)
    english_id = win.state.current.id
    shot(win, "01-chat")

    # 3. heat mode, a token selected: the inspector and the timeline follow
    win.action("heat").setChecked(True)
    reply = win.state.last_reply()
    assert reply is not None
    candidates = [t for t in reply.traces[:40] if t.text.strip() and t.rank > 1]
    pick = min(candidates or reply.traces, key=lambda t: t.p_model)
    win.state.select_token(reply.id, pick.index)
    shot(win, "02-heat-inspector")

    # the tooltip of a token in heat mode
    view = win.chat.views[reply.id]
    doc = view.body.document()
    cursor = QTextCursor(doc)
    href = f"tok:{reply.id}:{pick.index}"
    pos = None
    block = doc.begin()
    while block.isValid() and pos is None:
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.charFormat().anchorHref() == href:
                cursor.setPosition(frag.position())
                rect = view.body.cursorRect(cursor)
                pos = QPoint(rect.x() + 4, rect.center().y())
                break
            it += 1
        block = block.next()
    if pos is not None:
        viewport = view.body.viewport()
        QApplication.sendEvent(
            viewport, QHelpEvent(QHelpEvent.Type.ToolTip, pos, viewport.mapToGlobal(pos))
        )
        shot(win, "03-token-tooltip", whole_screen=True)
        QToolTip.hideText()

    # 4. Chinese: typed, streamed, and in heat mode
    say(CHINESE)
    zh = win.state.last_reply()
    assert zh is not None
    win.state.select_token(zh.id, min(5, len(zh.traces) - 1))
    win.tokens_dock.raise_()
    shot(win, "04-chinese-heat-tokens")

    # 5. entropy colours, the context and performance panels
    win.page.legend.metric_box.setCurrentIndex(win.page.legend.metric_box.findData("entropy"))
    win.performance_dock.raise_()
    shot(win, "05-entropy-performance")
    win.page.legend.metric_box.setCurrentIndex(win.page.legend.metric_box.findData("probability"))
    win.context_dock.raise_()
    win.timeline_dock.raise_()

    # 6. branch the English reply at its picked token with the runner-up candidate
    win.state.select_token(reply.id, pick.index)
    win.inspector.chart.select_row(1)
    win.inspector.branch_button.click()
    wait(lambda: not win.state.generating)
    shot(win, "06-branch-versions")

    # 7. a second conversation: Markdown with a code block, in normal mode
    win.action("heat").setChecked(False)
    win.action("new").trigger()
    say(CODE)
    shot(win, "07-markdown-code")
    win.action("heat").setChecked(True)  # the same reply as tokens: line breaks are tokens too
    shot(win, "08-heat-code")
    win.action("heat").setChecked(False)
    offload = bool((win.state.build or {}).get("gpu_offload"))
    dialog = SettingsDialog(store, gpu_offload=offload, parent=win)
    dialog.tabs.setCurrentIndex(1)
    dialog.show()
    dialog.move(200, 120)
    shot(dialog, "09-settings-sampling")
    dialog.tabs.setCurrentIndex(0)
    shot(dialog, "10-settings-model")
    dialog.reject()

    # 8. conversations last: several in the list, searched, one reopened with no model
    win.action("new").trigger()
    say(TIPS)
    shot(win, "11-conversations")
    win.close()
    store.last_model = None
    bare = MainWindow(store, restore_layout=False)
    place(bare)
    if english_id is not None and bare.conversations.open(english_id) is not None:
        bare.action("heat").setChecked(True)
        again = bare.state.last_reply()
        if again is not None and again.traces:
            index = pick.index if pick.index < len(again.traces) else 0
            bare.state.select_token(again.id, index)
        shot(bare, "12-reopened-without-model")
        bare.tokens_dock.raise_()
        bare.conversation_list.search.setText("France")
        wait(lambda: len(bare.conversation_list.entries) == 1, 5.0)
        shot(bare, "13-search-tokens-without-model")
    bare.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
