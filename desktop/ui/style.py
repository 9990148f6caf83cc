"""The window's look: a few touches over the platform style, derived from its palette so
that light and dark themes both work."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette


def _mix(a: QColor, b: QColor, t: float) -> str:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    ).name()


def stylesheet(palette: QPalette) -> str:
    base = palette.color(QPalette.ColorRole.Base)
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.Text)
    highlight = palette.color(QPalette.ColorRole.Highlight)
    user_bg = _mix(base, highlight, 0.10)
    user_border = _mix(base, highlight, 0.30)
    dim = _mix(base, text, 0.55)
    border = _mix(window, text, 0.15)
    return f"""
#chatInner, #chatView {{ background: {base.name()}; }}
#userMessage {{
    background: {user_bg}; border: 1px solid {user_border}; border-radius: 10px;
}}
#assistantMessage {{ background: transparent; border: none; }}
#messageAuthor {{ font-weight: 600; color: {dim}; }}
#messageInfo, #versionLabel, #heatHint, #settingsNote, #firstRunNote {{ color: {dim}; }}
#chatPlaceholder {{ color: {dim}; padding: 48px; }}
#composer {{ background: {window.name()}; border-top: 1px solid {border}; }}
#composerEdit {{ border: 1px solid {border}; border-radius: 8px; padding: 4px 6px;
    background: {base.name()}; }}
#sendButton {{ min-width: 72px; padding: 6px 14px; }}
#heatLegend {{ background: {base.name()}; border-bottom: 1px solid {border}; }}
#firstRunPage {{ background: {base.name()}; }}
#firstRunCard {{ border: 1px solid {border}; border-radius: 12px; padding: 18px;
    background: {window.name()}; }}
#firstRunTitle {{ font-size: 20pt; font-weight: 600; }}
#firstRunCard QPushButton {{ padding: 8px 14px; text-align: left; }}
"""
