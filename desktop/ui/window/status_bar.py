"""The status bar: a busy indicator for long tasks, messages, and on the right the model,
where it runs, how full the context is and how fast the last reply came. It follows the
state; a new thing to show there is a new label and the signal it follows."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar

from desktop.core.conversation import Node
from desktop.ui.window.state import AppState


class StatusLine(QObject):
    """Fills ``bar`` with its widgets and keeps them up to date."""

    def __init__(self, state: AppState, bar: QStatusBar) -> None:
        super().__init__(bar)
        self.state, self.bar = state, bar
        self.busy_bar = QProgressBar(bar)
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setMaximumWidth(120)
        self.busy_bar.setMaximumHeight(14)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.busy_label = QLabel(bar)
        self.busy_label.hide()
        self.model_label = QLabel(self.tr("No model"), bar)
        self.backend_label = QLabel(bar)
        self.context_label = QLabel(bar)
        self.speed_label = QLabel(bar)
        self.template_label = QLabel(bar)
        self.template_label.hide()
        self.model_label.setToolTip(self.tr("The loaded model"))
        self.backend_label.setToolTip(self.tr("Where the model runs"))
        self.context_label.setToolTip(
            self.tr("Tokens in the context window: used by the last reply / available")
        )
        self.speed_label.setToolTip(self.tr("Generation speed of the last reply"))
        bar.addWidget(self.busy_bar)
        bar.addWidget(self.busy_label)
        for label in (self.model_label, self.template_label, self.backend_label,
                      self.context_label, self.speed_label):
            bar.addPermanentWidget(label)
        state.message.connect(bar.showMessage)
        state.task_changed.connect(self._task)
        state.loading_changed.connect(lambda _on: self._model())
        state.engine_changed.connect(self._engine)
        state.reply_shown.connect(self.update_reply)
        state.reply_progress.connect(self.update_reply)
        state.reply_finished.connect(lambda node, _reason: self.update_reply(node))

    def _task(self, message: str | None) -> None:
        self.busy_bar.setVisible(message is not None)
        self.busy_label.setVisible(message is not None)
        self.busy_label.setText(message or "")

    def _model(self) -> None:
        state = self.state
        if state.loading and state.loading_message:
            self.model_label.setText(state.loading_message)
        elif state.engine is not None:
            self.model_label.setText(state.engine.path.stem)
        elif state.loading:
            self.model_label.setText(self.tr("No model"))

    def _engine(self, engine: object) -> None:
        state = self.state
        if engine is None or state.engine is None:
            return
        self.model_label.setText(state.engine.path.stem)
        self.model_label.setToolTip(f"{state.engine.name}\n{state.engine.path}")
        self.backend_label.setText(self.backend_text())
        self.show_template()

    def show_template(self) -> None:
        """Say how the chat template was chosen when it is not the model's own: llama.cpp's
        built-in format for a file without one, or the plain template after a failure."""
        session = self.state.session
        template = session.template if session is not None else None
        if template is None or not template.reason or (
            not template.is_fallback and not getattr(template, "builtin", None)
        ):
            self.template_label.hide()
            return
        builtin = getattr(template, "builtin", None)
        if template.fallback_reason:
            self.template_label.setText(self.tr("⚠ plain chat template"))
            self.state.say(self.tr("The model's chat template failed; using the plain "
                                   "template (details in the tooltip)."), 10000)
        elif builtin:
            self.template_label.setText(self.tr("template: %1 (llama.cpp)").replace("%1", builtin))
        else:
            self.template_label.setText(self.tr("plain chat template"))
        self.template_label.setToolTip(template.fallback_reason or template.reason)
        self.template_label.show()

    def backend_text(self) -> str:
        build = self.state.build or {}
        name = str(build.get("backend", "CPU"))
        engine = self.state.engine
        if build.get("gpu_offload") and engine is not None:
            layers = engine.options.n_gpu_layers
            if layers < 0:
                return self.tr("%1 · all layers on GPU").replace("%1", name)
            return self.tr("%1 · %2 GPU layers").replace("%1", name).replace("%2", str(layers))
        return name

    def update_reply(self, node: Node | None = None) -> None:
        """The context fill and the speed of ``node`` (or of the last reply)."""
        state = self.state
        node = node or state.last_reply()
        if state.engine is not None and (node is None or state.uses_engine(node.model)):
            n_ctx = state.engine.n_ctx
        else:
            n_ctx = int(node.stats.get("n_ctx", 0)) if node is not None else 0
        if node is not None and node.prompt_tokens:
            used = len(node.prompt_tokens) + len(node.traces)
            self.context_label.setText(
                self.tr("Context %1 / %2").replace("%1", str(used)).replace("%2", str(n_ctx))
            )
        elif n_ctx:
            self.context_label.setText(self.tr("Context 0 / %1").replace("%1", str(n_ctx)))
        else:
            self.context_label.setText("")
        tps = 0.0
        if node is not None:
            tps = float(node.stats.get("gen_tps") or 0.0)
            if not tps and len(node.traces) > 1:
                seconds = sum(t.seconds for t in node.traces[1:])
                tps = (len(node.traces) - 1) / seconds if seconds > 0 else 0.0
        self.speed_label.setText(self.tr("%1 tok/s").replace("%1", f"{tps:.1f}") if tps else "")
