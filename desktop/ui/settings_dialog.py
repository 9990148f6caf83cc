"""Settings: how the model is loaded, how tokens are sampled, the chat, the language."""

from __future__ import annotations

import logging
from dataclasses import fields

from PySide6.QtCore import QLocale
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.core.engine import LoadOptions
from desktop.core.sampling import SamplerSettings
from desktop.ui.settings_advanced import AdvancedSamplingTab
from desktop.ui.settings_store import (
    LANGUAGES,
    SettingsStore,
    builtin_presets,
    preset_label,
)

log = logging.getLogger(__name__)

#: The name an edited built-in preset is saved under.
CUSTOM_PRESET = "Custom"


def _note(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setObjectName("settingsNote")
    return label


class SettingsDialog(QDialog):
    def __init__(
        self, store: SettingsStore, gpu_offload: bool, parent: QWidget | None = None,
        server: str | None = None,
    ) -> None:
        """``server``: the server the window is connected to (its name), if any: the Model
        tab then says its settings are for local models."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setObjectName("settingsDialog")
        self.store = store
        self.load_options_changed = False
        self.language_changed = False
        self.tabs = QTabWidget(self)
        self.server = server
        self.tabs.addTab(self._model_tab(gpu_offload), self.tr("Model"))
        self.tabs.addTab(self._sampling_tab(), self.tr("Sampling"))
        self.tabs.addTab(self.advanced, self.tr("More samplers"))
        self.tabs.addTab(self._chat_tab(), self.tr("Chat"))
        self.tabs.addTab(self._language_tab(), self.tr("Language"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(520, 460)

    # --- tabs ------------------------------------------------------------------------

    def _model_tab(self, gpu_offload: bool) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        if self.server:
            self.server_note = _note(self.tr(
                "Connected to %1: these settings are for models loaded on this computer; "
                "the server runs its model with its own (its context window, threads and "
                "GPU).").replace("%1", self.server), page)
            form.addRow(self.server_note)
        opts = self.store.load_options()
        self.n_ctx = QSpinBox(page)
        self.n_ctx.setRange(256, 1_048_576)
        self.n_ctx.setSingleStep(1024)
        self.n_ctx.setValue(opts.n_ctx)
        self.n_ctx.setSuffix(self.tr(" tokens"))
        self.n_ctx.setToolTip(
            self.tr("How many tokens the model can see at once: prompt, history and reply.")
        )
        form.addRow(self.tr("Context window (n_ctx):"), self.n_ctx)
        self.threads = QSpinBox(page)
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText(self.tr("Automatic"))
        self.threads.setValue(opts.n_threads or 0)
        form.addRow(self.tr("CPU threads:"), self.threads)
        self.gpu_layers = QSpinBox(page)
        self.gpu_layers.setRange(-1, 999)
        self.gpu_layers.setSpecialValueText(self.tr("All layers"))
        self.gpu_layers.setValue(opts.n_gpu_layers if gpu_offload else 0)
        form.addRow(self.tr("GPU layers:"), self.gpu_layers)
        if not gpu_offload:
            self.gpu_layers.setEnabled(False)
            reason = self.tr("This llama.cpp build has no GPU offload.")
            self.gpu_layers.setToolTip(reason)
            self.gpu_reason = _note(reason, page)
            form.addRow("", self.gpu_reason)
        form.addRow(_note(self.tr("These take effect when the model is loaded again."), page))
        return page

    def _sampling_tab(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        row = QHBoxLayout()
        self.preset = QComboBox(page)
        self.preset.setObjectName("presetCombo")
        row.addWidget(QLabel(self.tr("Preset:"), page))
        row.addWidget(self.preset, 1)
        self.save_preset_button = QPushButton(self.tr("Save as…"), page)
        self.delete_preset_button = QPushButton(self.tr("Delete"), page)
        row.addWidget(self.save_preset_button)
        row.addWidget(self.delete_preset_button)
        layout.addLayout(row)

        form = QFormLayout()
        self.advanced = AdvancedSamplingTab(self)
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = dict(self.advanced.fields)

        def dbl(name: str, label: str, lo: float, hi: float, step: float, tip: str) -> None:
            box = QDoubleSpinBox(page)
            box.setRange(lo, hi)
            box.setSingleStep(step)
            box.setDecimals(3)
            box.setToolTip(tip)
            self.fields[name] = box
            form.addRow(label, box)

        def integer(name: str, label: str, lo: int, hi: int, tip: str, special: str = "") -> None:
            box = QSpinBox(page)
            box.setRange(lo, hi)
            box.setToolTip(tip)
            if special:
                box.setSpecialValueText(special)
            self.fields[name] = box
            form.addRow(label, box)

        dbl("temperature", self.tr("Temperature:"), 0.0, 5.0, 0.05,
            self.tr("Higher is more random; 0 always takes the most likely token (greedy)."))
        integer("top_k", self.tr("Top-k:"), 0, 1000,
                self.tr("Keep only the k most likely tokens (0: off)."), self.tr("off"))
        dbl("top_p", self.tr("Top-p:"), 0.0, 1.0, 0.01,
            self.tr("Keep the most likely tokens until their probabilities add up to p."))
        dbl("min_p", self.tr("Min-p:"), 0.0, 1.0, 0.01,
            self.tr("Drop tokens less likely than min-p times the most likely one."))
        dbl("typical_p", self.tr("Typical-p:"), 0.0, 1.0, 0.01,
            self.tr("Locally typical sampling (1: off)."))
        dbl("repeat_penalty", self.tr("Repeat penalty:"), 0.01, 5.0, 0.05,
            self.tr("Make recently used tokens less likely (1: off)."))
        integer("repeat_last_n", self.tr("Penalty window:"), -1, 8192,
                self.tr("How many recent tokens the penalties look at (-1: all)."))
        dbl("frequency_penalty", self.tr("Frequency penalty:"), -2.0, 2.0, 0.05,
            self.tr("Subtracted once per earlier use of a token."))
        dbl("presence_penalty", self.tr("Presence penalty:"), -2.0, 2.0, 0.05,
            self.tr("Subtracted once from any token already used."))
        integer("seed", self.tr("Seed:"), -1, 2**31 - 1,
                self.tr("Fix the random seed to get the same reply again (random: a new one "
                        "each time)."), self.tr("random"))
        layout.addLayout(form)
        layout.addWidget(
            _note(self.tr("Changing a built-in preset saves your values as “Custom”."), page)
        )
        layout.addStretch(1)

        self._fill_presets(self.store.preset_name)
        self.preset.currentIndexChanged.connect(self._on_preset)
        self.save_preset_button.clicked.connect(self._save_preset_as)
        self.delete_preset_button.clicked.connect(self._delete_preset)
        self._on_preset()
        return page

    def _chat_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.system_prompt = QPlainTextEdit(page)
        self.system_prompt.setObjectName("systemPrompt")
        self.system_prompt.setPlainText(self.store.system_prompt)
        self.system_prompt.setPlaceholderText(
            self.tr("e.g. You are a helpful assistant. Answer briefly.")
        )
        form.addRow(self.tr("System prompt:"), self.system_prompt)
        form.addRow(
            "",
            _note(self.tr("Instructions the model reads before every conversation. "
                          "Applies to new chats."), page),
        )
        self.max_tokens = QSpinBox(page)
        self.max_tokens.setRange(1, 1_000_000)
        self.max_tokens.setValue(self.store.max_tokens)
        self.max_tokens.setSuffix(self.tr(" tokens"))
        form.addRow(self.tr("Longest reply:"), self.max_tokens)
        return page

    def _language_tab(self) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.language = QComboBox(page)
        for code, label in LANGUAGES:
            if code == "system":
                native = QLocale.system().nativeLanguageName() or QLocale.system().name()
                label = self.tr("System (%1)").replace("%1", native)
            self.language.addItem(label, code)
        self.language.setCurrentIndex(max(0, self.language.findData(self.store.language)))
        form.addRow(self.tr("Language:"), self.language)
        form.addRow("", _note(self.tr("Takes effect when Tokenscope starts again."), page))
        return page

    # --- presets -----------------------------------------------------------------------

    def _fill_presets(self, select: str) -> None:
        self.preset.blockSignals(True)
        self.preset.clear()
        for name in self.store.presets():
            self.preset.addItem(preset_label(name), name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(select)))
        self.preset.blockSignals(False)

    def current_preset(self) -> str:
        return str(self.preset.currentData())

    def _on_preset(self) -> None:
        name = self.current_preset()
        settings = self.store.presets().get(name, SamplerSettings())
        self.set_sampler_fields(settings)
        self.delete_preset_button.setEnabled(name not in builtin_presets())

    def set_sampler_fields(self, settings: SamplerSettings) -> None:
        self.advanced.set_values(settings.to_dict())
        for name, box in self.fields.items():
            value = getattr(settings, name)
            if name == "seed":
                value = -1 if value is None else value
            box.setValue(value)

    def sampler_fields(self) -> SamplerSettings:
        values: dict[str, object] = {}
        types = {f.name: f.type for f in fields(SamplerSettings)}
        for name, box in self.fields.items():
            value = box.value()
            if name == "seed":
                values[name] = None if value < 0 else int(value)
            elif "int" in str(types[name]):
                values[name] = int(value)
            else:
                values[name] = round(float(value), 6)
        values.update(self.advanced.values())
        base = self.store.presets().get(self.current_preset()) or SamplerSettings()
        return base.with_(**SamplerSettings.from_dict(values).to_dict() | {
            k: getattr(base, k) for k in ("logit_bias", "dry_sequence_breakers")})

    def _save_preset_as(self) -> None:
        name, ok = QInputDialog.getText(self, self.tr("Save preset"), self.tr("Preset name:"))
        name = name.strip()
        if not ok or not name:
            return
        if name in builtin_presets():
            QMessageBox.information(
                self, self.tr("Save preset"),
                self.tr("“%1” is a built-in preset; choose another name.").replace("%1", name),
            )
            return
        self.store.save_preset(name, self.sampler_fields())
        self._fill_presets(name)
        self._on_preset()

    def _delete_preset(self) -> None:
        name = self.current_preset()
        if name in builtin_presets():
            return
        answer = QMessageBox.question(
            self, self.tr("Delete preset"),
            self.tr("Delete the preset “%1”?").replace("%1", name),
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.store.delete_preset(name)
            self._fill_presets(self.store.preset_name)
            self._on_preset()

    # --- applying ----------------------------------------------------------------------

    def apply(self) -> None:
        """Write everything to the store (called on OK)."""
        store = self.store
        old = store.load_options()
        gpu = self.gpu_layers.value() if self.gpu_layers.isEnabled() else old.n_gpu_layers
        new = LoadOptions(
            n_ctx=self.n_ctx.value(),
            n_threads=self.threads.value() or None,
            n_gpu_layers=gpu,
        )
        self.load_options_changed = new != old
        store.set_load_options(new)

        name = self.current_preset()
        values = self.sampler_fields()
        if values != store.presets().get(name):
            if name in builtin_presets():
                name = CUSTOM_PRESET
            store.save_preset(name, values)
        store.preset_name = name

        store.system_prompt = self.system_prompt.toPlainText().strip()
        store.max_tokens = self.max_tokens.value()
        language = str(self.language.currentData())
        self.language_changed = language != store.language
        store.language = language
        store.sync()
        log.info("settings saved (preset %s)", name)

    def accept(self) -> None:
        self.apply()
        super().accept()
