"""The PySide6 window: thin views over desktop.core objects."""

from . import compat  # noqa: F401  (first: a PySide6 6.12 reference-count bug work-around)
