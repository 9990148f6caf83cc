"""Small helpers shared by the dock panels: visible token text, palette-aware colours."""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from ...core.trace import piece_text

#: how invisible characters are drawn in token text
_VISIBLE = {" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"}


def translate(context: str, text: str, n: int = -1) -> str:
    """QCoreApplication.translate outside a QObject; call it with literal strings so
    pyside6-lupdate finds them (``n`` picks the plural form of ``%n``)."""
    return QCoreApplication.translate(context, text, None, n)


def visible(text: str, spaces: bool = True) -> str:
    """``text`` with whitespace made visible (' ' → '␣' unless ``spaces`` is False,
    '\\n' → '↵') and other control characters as hex bytes like ``<0x0C>``; '' as '∅'."""
    if not text:
        return "∅"
    out = []
    for ch in text:
        if ch == " " and not spaces:
            out.append(ch)
        elif ch in _VISIBLE:
            out.append(_VISIBLE[ch])
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            out.append("".join(f"<0x{b:02X}>" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def token_label(piece: bytes) -> str:
    """A token's bytes as one honest, visible label: partial UTF-8 as ``<0xE4>``."""
    return visible(piece_text(piece))


def percent(p: float) -> str:
    """A probability as a short percentage: 42.1%, 0.35%, <0.01%."""
    if p <= 0.0:
        return "0%"
    if p < 0.0001:
        return "<0.01%"
    if p < 0.01:
        return f"{p * 100:.2f}%"
    return f"{p * 100:.1f}%"


def mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` blended towards ``b`` by ``t`` (0: a, 1: b)."""
    return QColor(
        round(a.red() + t * (b.red() - a.red())),
        round(a.green() + t * (b.green() - a.green())),
        round(a.blue() + t * (b.blue() - a.blue())),
    )


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def text_on(bg: QColor) -> QColor:
    """Black or white, whichever reads better on ``bg``."""
    luma = 0.299 * bg.red() + 0.587 * bg.green() + 0.114 * bg.blue()
    return QColor(0, 0, 0) if luma > 140 else QColor(255, 255, 255)


def tone(palette: QPalette, hue: int, saturation: int = 150) -> QColor:
    """A colour of ``hue`` that stands out on this palette's base (light or dark theme)."""
    return QColor.fromHsv(hue, saturation, 200 if is_dark(palette) else 215)


def soft(palette: QPalette, color: QColor, strength: float = 0.25) -> QColor:
    """``color`` faded into the palette's base: for backgrounds and shaded bands."""
    return mix(palette.color(QPalette.ColorRole.Base), color, strength)


def dim_text(palette: QPalette) -> QColor:
    """Text colour for greyed-out content (cut candidates, dropped turns)."""
    return mix(palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base), 0.55)


def warning_color(palette: QPalette) -> QColor:
    return QColor(255, 140, 90) if is_dark(palette) else QColor(190, 60, 20)


def line_height(widget: QWidget) -> int:
    """One text line of ``widget``'s font: the unit for sizes that scale with the font."""
    return widget.fontMetrics().height()
