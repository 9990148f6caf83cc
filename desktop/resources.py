"""Where the app's resources (icons, translations, styles) are, however it was installed.

  * a source checkout or an editable install: ``<repo>/resources``
  * a wheel: ``site-packages/resources`` (pyproject's package-data ``../resources/**``
    lands next to the ``desktop`` package)
  * a PyInstaller bundle: ``<sys._MEIPASS>/resources`` (packaging/tokenscope.spec puts it
    there; in a macOS .app ``_MEIPASS`` is ``Contents/Frameworks``, linked to ``Resources``)
  * ``desktop/resources`` inside the package, should the folder ever move there

No Qt here: the core and the command line may use it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

APP_ICON_NAME = "tokenscope"
#: the rendered sizes under resources/icons/hicolor (packaging/render_icons.py)
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resource_roots() -> list[Path]:
    """Candidate ``resources`` folders, most specific first."""
    roots: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        roots.append(Path(bundle) / "resources")
    package = Path(__file__).resolve().parent
    roots.append(package.parent / "resources")
    roots.append(package / "resources")
    return roots


def resource_path(*parts: str) -> Path:
    """The path of ``resources/<parts...>``: the first root where it exists, else the
    path under the first root (so a caller's "not found" message names a sensible place)."""
    roots = resource_roots()
    for root in roots:
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    return roots[0].joinpath(*parts)


def app_icon_files() -> list[Path]:
    """The app icon's PNGs, smallest first, that exist (for a multi-size ``QIcon``)."""
    files = [
        resource_path("icons", "hicolor", f"{s}x{s}", "apps", f"{APP_ICON_NAME}.png")
        for s in ICON_SIZES
    ]
    return [f for f in files if f.is_file()]


def app_icon_path() -> Path:
    """One file for the app icon: the 256 px PNG (loads without Qt's SVG plugin), else the
    SVG source."""
    png = resource_path("icons", "hicolor", "256x256", "apps", f"{APP_ICON_NAME}.png")
    if png.is_file():
        return png
    return resource_path("icons", f"{APP_ICON_NAME}.svg")
