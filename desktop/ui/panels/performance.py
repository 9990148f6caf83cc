"""Performance: how fast the prompt was read and the reply written, what the KV cache
saved, and which llama.cpp backend did the work."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from ._common import dim_text


def _seconds(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 1 else f"{s:.2f} s"


def _rate(tps: float) -> str:
    return f"{tps:,.0f}" if tps >= 100 else f"{tps:.1f}"


class PerformancePanel(QWidget):
    """Speeds, time to first token, KV-cache reuse and the backend of the last reply."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._info: dict[str, Any] = {}
        self._gpu_layers: int | None = None
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        rows = {
            "prompt": (self.tr("Prompt reading"), self.tr(
                "Tokens of the prompt evaluated per second (the tokens reused from the KV "
                "cache are not evaluated again)")),
            "generation": (self.tr("Generation"), self.tr(
                "Reply tokens per second, after the first one")),
            "first": (self.tr("First token after"), self.tr(
                "Time from sending to the first reply token: reading the prompt plus one step")),
            "reused": (self.tr("Reused from KV cache"), self.tr(
                "Prompt tokens already in the KV cache from the previous turn: no work needed")),
            "seed": (self.tr("Seed"), self.tr(
                "The random seed this reply was sampled with: the same seed, model and "
                "settings give the same reply (tokenscope chat --seed N)")),
            "backend": (self.tr("Backend"), self.tr("The llama.cpp build doing the work")),
            "gpu": (self.tr("GPU layers"), self.tr("Model layers offloaded to the GPU")),
        }
        for key, (label, tip) in rows.items():
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setToolTip(tip)
            name = QLabel(label)
            name.setToolTip(tip)
            form.addRow(name, value)
            self.fields[key] = value
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.details)
        layout.addStretch(1)
        self.set_stats({})
        self.set_backend({})

    # --- public API ----------------------------------------------------------------

    def set_backend(self, info: dict[str, Any]) -> None:
        """``BuildInfo.to_dict()``: backend, gpu_offload, system_info, llama_cpp_python."""
        self._info = dict(info)
        self._show_backend()

    def set_gpu_layers(self, n: int) -> None:
        """Layers the model was loaded with on the GPU (-1: all)."""
        self._gpu_layers = n
        self._show_backend()

    def set_stats(self, stats: dict[str, Any]) -> None:
        """A reply's stats: n_prompt, n_reused, n_evaluated, prompt_seconds,
        first_token_seconds, gen_seconds, gen_tps, seed (any may be missing)."""
        none = self.tr("–")
        f = self.fields
        n_prompt, n_reused = stats.get("n_prompt"), stats.get("n_reused")
        n_eval = stats.get("n_evaluated")
        if n_eval is None and n_prompt is not None:
            n_eval = n_prompt - (n_reused or 0)
        secs = stats.get("prompt_seconds")
        if n_eval == 0 and n_prompt:
            f["prompt"].setText(
                self.tr("nothing to read: all {n} tokens reused").format(n=n_prompt))
        elif n_eval is not None and secs:
            f["prompt"].setText(self.tr("{rate} tokens/s ({n} tokens in {t})").format(
                rate=_rate(n_eval / secs), n=n_eval, t=_seconds(secs)))
        else:
            f["prompt"].setText(none)
        tps = stats.get("gen_tps")
        gen_secs = stats.get("gen_seconds")
        if tps:
            text = self.tr("{rate} tokens/s").format(rate=_rate(tps))
            if gen_secs:
                text += " " + self.tr("({t})").format(t=_seconds(gen_secs))
            f["generation"].setText(text)
        else:
            f["generation"].setText(none)
        first = stats.get("first_token_seconds")
        f["first"].setText(_seconds(first) if first is not None else none)
        if stats.get("remote"):  # a server: it reads the prompt; the client sees the wait
            usage = stats.get("usage_prompt_tokens")
            n_text = str(usage) if usage is not None else (
                f"~{n_prompt}" if stats.get("n_prompt_estimated", True) else str(n_prompt))
            f["prompt"].setText(self.tr("{n} tokens, read by the server").format(n=n_text))
            f["reused"].setText(self.tr("not reported by the server"))
        elif n_prompt:
            reused = n_reused or 0
            f["reused"].setText(self.tr("{n} of {total} prompt tokens ({pct:.0f}%)").format(
                n=reused, total=n_prompt, pct=100 * reused / n_prompt))
        else:
            f["reused"].setText(none)
        seed = stats.get("seed")
        f["seed"].setText(str(seed) if seed is not None else none)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._show_backend()  # colours follow the theme

    # --- internals -----------------------------------------------------------------

    def _show_backend(self) -> None:
        info = self._info
        f = self.fields
        offload = info.get("gpu_offload")
        backend = str(info.get("backend") or "")
        if not info:
            f["backend"].setText(self.tr("–"))
            f["gpu"].setText(self.tr("–"))
        elif info.get("remote"):  # a server: its hardware is its own
            f["backend"].setText(backend)
            f["gpu"].setText(self.tr("on the server"))
        elif not offload:
            f["backend"].setText(self.tr("CPU only — this llama.cpp build has no GPU offload"))
            f["gpu"].setText(self.tr("none (CPU only)"))
        else:
            f["backend"].setText(backend)
            n = self._gpu_layers
            f["gpu"].setText(
                self.tr("not set") if n is None else self.tr("all") if n < 0
                else self.tr("none (CPU only)") if n == 0 else str(n))
        parts = []
        if info.get("remote"):
            parts.append(self.tr("{url} · speeds measured by this computer, network "
                                 "included").format(url=info.get("url", "")))
        if info.get("llama_cpp_python"):
            parts.append(self.tr("llama-cpp-python {v}").format(v=info["llama_cpp_python"]))
        if info.get("system_info"):
            parts.append(str(info["system_info"]))
        self.details.setText("\n".join(parts))
        self.details.setStyleSheet(f"color: {dim_text(self.palette()).name()};")
        self.details.setToolTip(self.tr("llama.cpp's report of the features it was built with"))
