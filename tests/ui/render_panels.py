"""Render every dock panel, filled with real data from the tiny test model, to PNGs.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.ui.render_panels OUT_DIR

Writes ``<panel>-<theme>.png`` for a light and a dark palette, at dock-like widths, so
the panels can be looked at without a screen.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from desktop.core.backend import build_info
from desktop.core.context import ContextPlan
from desktop.core.conversation import Node
from desktop.core.engine import Engine, LoadOptions
from desktop.core.sampling import SamplerSettings
from desktop.core.session import ChatSession
from desktop.ui.panels import (
    ContextPanel,
    InspectorPanel,
    PerformancePanel,
    TimelinePanel,
    TokensPanel,
)

LONG = "The quick brown fox jumps over the lazy dog. What is the capital of France? " * 4


@dataclass
class Sample:
    """Real data from one chat with the tiny model."""

    engine: Engine
    session: ChatSession
    reply: Node
    plan: ContextPlan
    texts: list[str]


def sample(engine: Engine, turns: int = 4) -> Sample:
    """A conversation long enough that the oldest turns are dropped from the context."""
    session = ChatSession(engine, SamplerSettings(seed=1, repeat_penalty=1.1), max_tokens=40,
                          system="You are a helpful assistant.")
    for i in range(turns):
        list(session.send(f"Turn {i + 1}: {LONG}" if i < turns - 1 else "Hello 你好 鬱"))
    reply = session.conversation.nodes[session.conversation.leaf]
    assert session.last_plan is not None
    texts = [m.content for m in session.conversation.messages(reply.parent)]
    return Sample(engine, session, reply, session.last_plan, texts)


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: QColor(45, 45, 48),
        QPalette.ColorRole.WindowText: QColor(220, 220, 220),
        QPalette.ColorRole.Base: QColor(30, 30, 32),
        QPalette.ColorRole.AlternateBase: QColor(45, 45, 48),
        QPalette.ColorRole.Text: QColor(220, 220, 220),
        QPalette.ColorRole.Button: QColor(55, 55, 58),
        QPalette.ColorRole.ButtonText: QColor(220, 220, 220),
        QPalette.ColorRole.Highlight: QColor(60, 110, 180),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.ToolTipBase: QColor(30, 30, 32),
        QPalette.ColorRole.ToolTipText: QColor(220, 220, 220),
        QPalette.ColorRole.Mid: QColor(80, 80, 84),
        QPalette.ColorRole.PlaceholderText: QColor(140, 140, 140),
    }
    for role, color in roles.items():
        p.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    return p


def filled_panels(s: Sample) -> dict[str, tuple[QWidget, tuple[int, int]]]:
    """Every panel filled with ``s``, with the size to render it at."""
    inspector = InspectorPanel()
    inspector.set_piece_fn(s.engine.piece)
    low = min(range(len(s.reply.traces)), key=lambda i: s.reply.traces[i].p_model)
    inspector.show_token(s.reply, low)

    top_p = InspectorPanel()
    top_p.set_piece_fn(s.engine.piece)
    top_p.show_token(s.reply, low)
    top_p.strip.set_current(4)  # top_p, with its cumulative line
    top_p.chart.select_row(1)

    whatif = InspectorPanel()
    whatif.set_piece_fn(s.engine.piece)
    whatif.show_token(s.reply, low)
    whatif.spins["temperature"].setValue(1.5)
    whatif.spins["top_k"].setValue(5)

    timeline = TimelinePanel()
    timeline.set_reply(s.reply)
    timeline.select(low)

    tokens = TokensPanel()
    tokens.set_engine_fns(s.engine.piece, s.engine.is_special, s.engine.tokenize)
    tokens.set_prompt(s.reply.prompt_tokens)
    tokens.input.setPlainText("Hello 你好 鬱")

    context = ContextPanel()
    context.set_plan(s.plan, len(s.reply.traces), s.texts)

    full = ContextPanel()
    full.set_plan(s.plan, s.plan.n_ctx, s.texts)  # a reply that fills the context

    performance = PerformancePanel()
    performance.set_backend(build_info().to_dict())
    performance.set_gpu_layers(0)
    performance.set_stats(s.reply.stats)
    return {
        "inspector": (inspector, (350, 1000)),
        "inspector-top_p": (top_p, (350, 1000)),
        "inspector-wide": (inspector, (560, 1000)),
        "inspector-whatif": (whatif, (350, 1000)),
        "timeline": (timeline, (350, 420)),
        "tokens": (tokens, (350, 600)),
        "context": (context, (350, 460)),
        "context-full": (full, (350, 460)),
        "performance": (performance, (350, 360)),
    }


def render(out: Path, s: Sample) -> list[Path]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    written = []
    font = app.font()
    large = QFont(font)
    large.setPointSizeF(font.pointSizeF() * 1.6)
    themes = (
        ("light", app.style().standardPalette(), font, 1.0),
        ("dark", dark_palette(), font, 1.0),
        ("large-font", app.style().standardPalette(), large, 1.6),
    )
    for theme, palette, theme_font, scale in themes:
        app.setPalette(palette)
        app.setFont(theme_font)
        for name, (widget, (w, h)) in filled_panels(s).items():
            widget.resize(round(w * scale), round(h * scale))
            widget.show()
            app.processEvents()
            path = out / f"{name}-{theme}.png"
            widget.grab().save(str(path))
            written.append(path)
            widget.hide()
    app.setFont(font)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    from tests.models import write_tiny_spm_model

    out = Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        model = write_tiny_spm_model(Path(tmp) / "tiny.gguf")
        with Engine(model, LoadOptions(n_ctx=512, n_threads=2)) as engine:
            for path in render(out, sample(engine)):
                print(path)
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
