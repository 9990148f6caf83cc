"""The PySide6 window: thin views over desktop.core objects."""
