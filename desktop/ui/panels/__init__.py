"""The dock panels: standalone views of StepTraces, prompts and context plans.

The main window puts each in a QDockWidget; none of them calls the model.
"""

from .. import compat  # noqa: F401  (first: a PySide6 reference-count bug work-around)
from .context import ContextPanel
from .inspector import InspectorPanel
from .performance import PerformancePanel
from .timeline import TimelinePanel
from .tokens import TokensPanel

__all__ = ["ContextPanel", "InspectorPanel", "PerformancePanel", "TimelinePanel", "TokensPanel"]
