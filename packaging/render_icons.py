"""Render the app icon from its SVG source: hicolor PNGs, a Windows .ico, a macOS .icns.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py [--preview OUT.png]

Sources: ``resources/icons/tokenscope.svg``, and for 16-24 px the simplified
``resources/icons/tokenscope-small.svg`` when it exists (fewer, bolder shapes read better
on a few pixels). Uses only Qt (QtSvg is part of PySide6-Essentials). The .ico and .icns
containers are written here directly with PNG payloads (Windows Vista+ and macOS 10.7+
read those): Qt's own ico/icns writers store a single image per file.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "tokenscope.svg"
SMALL_SVG = ICONS / "tokenscope-small.svg"
NAME = "tokenscope"

HICOLOR_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SMALL_MAX = 24  #: sizes up to this use the small source, where there is one
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: .icns entry types with PNG payloads, and their pixel sizes (the @2x ones included)
ICNS_TYPES = (
    (b"ic11", 32), (b"ic12", 64), (b"ic07", 128), (b"ic13", 256),
    (b"ic08", 256), (b"ic14", 512), (b"ic09", 512), (b"ic10", 1024),
)


def render(size: int) -> QImage:
    """The icon at ``size`` x ``size`` pixels, antialiased, on a transparent background."""
    src = SMALL_SVG if size <= SMALL_MAX and SMALL_SVG.exists() else SVG
    renderer = QSvgRenderer(str(src))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {src} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    # the stubs say bytes for the format; PySide6 6.12 itself only accepts str
    if not image.save(buf, "PNG"):  # type: ignore[call-overload]
        raise SystemExit("render_icons: PNG encoding failed")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A .ico with one PNG-compressed image per size (ICONDIR + ICONDIRENTRYs + data)."""
    sizes = sorted(pngs)
    out = [struct.pack("<HHH", 0, 1, len(sizes))]
    offset = 6 + 16 * len(sizes)
    for s in sizes:
        dim = 0 if s >= 256 else s  # 0 means 256
        out.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(pngs[s]), offset))
        offset += len(pngs[s])
    out.extend(pngs[s] for s in sizes)
    return b"".join(out)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A .icns with PNG entries (ic07-ic14)."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for kind, s in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def preview(images: dict[int, QImage], out: Path) -> None:
    """A sheet of every size, each also blown up 8x/4x without smoothing (to judge pixels)."""
    sizes = [s for s in HICOLOR_SIZES if s <= 64]
    cell = 256
    sheet = QImage(cell * len(sizes) + 16, cell * 2 + 16, QImage.Format.Format_ARGB32)
    sheet.fill(Qt.GlobalColor.white)
    p = QPainter(sheet)
    for i, s in enumerate(sizes):
        x = 8 + i * cell
        p.drawImage(x, 8, images[s])
        big = images[s].scaled(
            cell - 16, cell - 16, Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        p.drawImage(x, 8 + cell, big)
    p.fillRect(0, cell - 40, sheet.width(), 40, Qt.GlobalColor.darkGray)
    for i, s in enumerate(sizes):
        p.drawImage(8 + i * cell, cell - 40 + (40 - s) // 2 if s <= 40 else cell - 40, images[s])
    p.end()
    sheet.save(str(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preview", type=Path, help="also write a sheet of all sizes to this PNG")
    args = ap.parse_args(argv)
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])

    images = {s: render(s) for s in sorted({*HICOLOR_SIZES, *ICO_SIZES, 1024})}
    pngs = {s: png_bytes(img) for s, img in images.items()}
    for s in HICOLOR_SIZES:
        path = ICONS / "hicolor" / f"{s}x{s}" / "apps" / f"{NAME}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pngs[s])
    (ICONS / f"{NAME}.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / f"{NAME}.icns").write_bytes(icns_bytes(pngs))
    scalable = ICONS / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SVG.read_bytes())
    if args.preview:
        preview(images, args.preview)
    print(f"icons written under {ICONS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
