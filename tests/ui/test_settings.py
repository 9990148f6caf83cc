"""Settings: what is remembered, and the dialog that edits it."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QSettings

from desktop.core.engine import LoadOptions
from desktop.core.sampling import SamplerSettings
from desktop.ui.settings_dialog import CUSTOM_PRESET, SettingsDialog
from desktop.ui.settings_store import DEFAULT_PRESET, SettingsStore


def test_defaults(store: SettingsStore) -> None:
    assert store.load_options() == LoadOptions()
    assert store.preset_name == DEFAULT_PRESET
    assert store.sampler_settings() == SamplerSettings()
    assert store.presets()["Precise (greedy)"].temperature == 0.0
    assert store.presets()["Creative"] == SamplerSettings(temperature=1.1, top_p=0.98)
    assert store.language == "system"
    assert store.last_model is None


def test_everything_survives_a_restart(tmp_path: Any) -> None:
    path = str(tmp_path / "s.ini")
    store = SettingsStore(QSettings(path, QSettings.Format.IniFormat))
    store.set_load_options(LoadOptions(n_ctx=8192, n_threads=3, n_gpu_layers=-1))
    store.save_preset("Mine", SamplerSettings(temperature=0.5, seed=42))
    store.preset_name = "Mine"
    store.system_prompt = "Be brief."
    store.max_tokens = 64
    store.language = "zh_CN"
    store.last_model = "/models/x.gguf"
    store.sync()

    again = SettingsStore(QSettings(path, QSettings.Format.IniFormat))
    assert again.load_options() == LoadOptions(n_ctx=8192, n_threads=3, n_gpu_layers=-1)
    assert again.sampler_settings() == SamplerSettings(temperature=0.5, seed=42)
    assert again.system_prompt == "Be brief."
    assert again.max_tokens == 64
    assert again.language == "zh_CN"
    assert again.last_model == "/models/x.gguf"


def test_built_in_presets_cannot_be_overwritten(store: SettingsStore) -> None:
    with pytest.raises(ValueError):
        store.save_preset(DEFAULT_PRESET, SamplerSettings(temperature=2.0))
    store.save_preset("Mine", SamplerSettings(top_k=5))
    store.preset_name = "Mine"
    store.delete_preset("Mine")
    assert "Mine" not in store.presets()
    assert store.preset_name == DEFAULT_PRESET


def test_gpu_layers_are_disabled_with_the_reason_without_gpu_offload(
    qtbot: Any, store: SettingsStore
) -> None:
    dialog = SettingsDialog(store, gpu_offload=False)
    qtbot.addWidget(dialog)
    assert not dialog.gpu_layers.isEnabled()
    assert "no GPU offload" in dialog.gpu_reason.text()
    with_gpu = SettingsDialog(store, gpu_offload=True)
    qtbot.addWidget(with_gpu)
    assert with_gpu.gpu_layers.isEnabled()


def test_the_dialog_saves_its_values(qtbot: Any, store: SettingsStore) -> None:
    dialog = SettingsDialog(store, gpu_offload=True)
    qtbot.addWidget(dialog)
    dialog.n_ctx.setValue(2048)
    dialog.gpu_layers.setValue(12)
    dialog.system_prompt.setPlainText("You are a pirate.")
    dialog.max_tokens.setValue(100)
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    dialog.preset.setCurrentIndex(dialog.preset.findData("Precise (greedy)"))
    assert dialog.fields["temperature"].value() == 0.0
    dialog.accept()
    assert dialog.load_options_changed and dialog.language_changed
    assert store.load_options().n_ctx == 2048
    assert store.load_options().n_gpu_layers == 12
    assert store.system_prompt == "You are a pirate."
    assert store.max_tokens == 100
    assert store.preset_name == "Precise (greedy)"
    assert store.language == "zh_CN"


def test_editing_a_built_in_preset_saves_it_as_custom(qtbot: Any, store: SettingsStore) -> None:
    dialog = SettingsDialog(store, gpu_offload=False)
    qtbot.addWidget(dialog)
    dialog.fields["temperature"].setValue(0.3)
    dialog.fields["seed"].setValue(7)
    dialog.accept()
    assert store.preset_name == CUSTOM_PRESET
    assert store.sampler_settings() == SamplerSettings(temperature=0.3, seed=7)
    assert not dialog.load_options_changed


def test_random_seed_is_stored_as_none(qtbot: Any, store: SettingsStore) -> None:
    dialog = SettingsDialog(store, gpu_offload=False)
    qtbot.addWidget(dialog)
    assert dialog.fields["seed"].value() == -1
    assert dialog.sampler_fields().seed is None
