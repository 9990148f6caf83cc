"""What the window remembers between runs, kept in QSettings.

Load options, sampler presets (built-in and the user's), the system prompt, the reply
length, the language, the last model, and the window's layout. Values that QSettings
would mangle across platforms (dicts of floats, None) are stored as JSON strings.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QByteArray, QCoreApplication, QSettings

from desktop.core.chat import DEFAULT_SYSTEM_PROMPT as CORE_DEFAULT_SYSTEM_PROMPT
from desktop.core.engine import LoadOptions
from desktop.core.errors import TokenscopeError
from desktop.core.sampling import SamplerSettings

log = logging.getLogger(__name__)

#: The preset every install starts with: llama.cpp's own defaults.
DEFAULT_PRESET = "llama.cpp defaults"


def builtin_presets() -> dict[str, SamplerSettings]:
    """Presets shipped with the app (the user cannot overwrite or delete them)."""
    return {
        DEFAULT_PRESET: SamplerSettings(),
        "Precise (greedy)": SamplerSettings(temperature=0.0),
        "Creative": SamplerSettings(temperature=1.1, top_p=0.98),
    }


def preset_label(name: str) -> str:
    """A preset's name as shown to the user (built-in names are translated)."""
    labels = {
        DEFAULT_PRESET: QCoreApplication.translate("Presets", "llama.cpp defaults"),
        "Precise (greedy)": QCoreApplication.translate("Presets", "Precise (greedy)"),
        "Creative": QCoreApplication.translate("Presets", "Creative"),
        "Custom": QCoreApplication.translate("Presets", "Custom"),
    }
    return labels.get(name, name)


#: Languages offered in the settings: (code, label). Labels are each language's own name.
LANGUAGES: list[tuple[str, str]] = [("system", ""), ("en", "English"), ("zh_CN", "简体中文")]

#: New chats start with the core's default system prompt (small models answer far better).
DEFAULT_SYSTEM_PROMPT = CORE_DEFAULT_SYSTEM_PROMPT
DEFAULT_MAX_TOKENS = 512


class SettingsStore:
    """Typed access to the app's QSettings. Pass a QSettings to isolate (tests)."""

    def __init__(self, settings: QSettings | None = None) -> None:
        self.qsettings = settings if settings is not None else QSettings()

    # --- helpers ---------------------------------------------------------------------

    def _get(self, key: str, default: Any, kind: type) -> Any:
        value = self.qsettings.value(key, default)
        if value is None:
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() == "true"
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _get_json(self, key: str, default: Any) -> Any:
        raw = self.qsettings.value(key)
        if not raw:
            return default
        try:
            return json.loads(str(raw))
        except ValueError:
            log.warning("ignoring an unreadable setting %s", key)
            return default

    def sync(self) -> None:
        self.qsettings.sync()

    # --- the model -------------------------------------------------------------------

    def load_options(self) -> LoadOptions:
        d = LoadOptions()
        threads = self._get("model/threads", 0, int)
        return LoadOptions(
            n_ctx=max(256, self._get("model/n_ctx", d.n_ctx, int)),
            n_threads=threads if threads > 0 else None,
            n_gpu_layers=self._get("model/gpu_layers", d.n_gpu_layers, int),
        )

    def set_load_options(self, options: LoadOptions) -> None:
        self.qsettings.setValue("model/n_ctx", options.n_ctx)
        self.qsettings.setValue("model/threads", options.n_threads or 0)
        self.qsettings.setValue("model/gpu_layers", options.n_gpu_layers)

    @property
    def last_model(self) -> str | None:
        value = self._get("model/last", "", str)
        return value or None

    @last_model.setter
    def last_model(self, path: str | None) -> None:
        self.qsettings.setValue("model/last", path or "")

    @property
    def last_server(self) -> tuple[str, str] | None:
        """(server name, model) of the last connection, while it is the last thing the
        window used (loading a local model forgets it)."""
        value = self._get_json("server/last", None)
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, str) and v for v in value)):
            return value[0], value[1]
        return None

    @last_server.setter
    def last_server(self, value: tuple[str, str] | None) -> None:
        self.qsettings.setValue("server/last", json.dumps(list(value)) if value else "")

    @property
    def last_dir(self) -> str:
        return self._get("model/last_dir", "", str)

    @last_dir.setter
    def last_dir(self, path: str) -> None:
        self.qsettings.setValue("model/last_dir", path)

    def remember_model(self, name: str, path: str) -> None:
        """The file a model (by its name inside the GGUF) was last loaded from."""
        files = self._get_json("model/files", {})
        if not isinstance(files, dict):
            files = {}
        files[name] = path
        self.qsettings.setValue("model/files", json.dumps(files))

    def model_file(self, name: str) -> str | None:
        """Where the model called ``name`` was last loaded from (None: never loaded)."""
        files = self._get_json("model/files", {})
        value = files.get(name) if isinstance(files, dict) else None
        return str(value) if value else None

    @property
    def export_dir(self) -> str:
        """Where conversations were last exported to or imported from."""
        return self._get("chat/export_dir", "", str)

    @export_dir.setter
    def export_dir(self, path: str) -> None:
        self.qsettings.setValue("chat/export_dir", path)

    # --- sampler presets -------------------------------------------------------------

    def user_presets(self) -> dict[str, SamplerSettings]:
        data = self._get_json("sampling/presets", {})
        out = {}
        for name, values in data.items() if isinstance(data, dict) else ():
            try:
                out[str(name)] = SamplerSettings.from_dict(values).check()
            except (TypeError, ValueError, TokenscopeError):
                log.warning("ignoring an unreadable or out-of-range sampler preset")
        return out

    def presets(self) -> dict[str, SamplerSettings]:
        """Built-in presets first, then the user's, by name."""
        return {**builtin_presets(), **self.user_presets()}

    def save_preset(self, name: str, settings: SamplerSettings) -> None:
        if name in builtin_presets():
            raise ValueError("built-in presets cannot be overwritten")
        presets = self.user_presets()
        presets[name] = settings
        self._put_presets(presets)

    def delete_preset(self, name: str) -> None:
        presets = self.user_presets()
        presets.pop(name, None)
        self._put_presets(presets)
        if self.preset_name == name:
            self.preset_name = DEFAULT_PRESET

    def _put_presets(self, presets: dict[str, SamplerSettings]) -> None:
        data = {k: v.to_dict() for k, v in presets.items()}
        self.qsettings.setValue("sampling/presets", json.dumps(data))

    @property
    def preset_name(self) -> str:
        name = self._get("sampling/preset", DEFAULT_PRESET, str)
        return name if name in self.presets() else DEFAULT_PRESET

    @preset_name.setter
    def preset_name(self, name: str) -> None:
        self.qsettings.setValue("sampling/preset", name)

    def sampler_settings(self) -> SamplerSettings:
        return self.presets()[self.preset_name]

    # --- the chat --------------------------------------------------------------------

    @property
    def system_prompt(self) -> str:
        return self._get("chat/system_prompt", DEFAULT_SYSTEM_PROMPT, str)

    @system_prompt.setter
    def system_prompt(self, text: str) -> None:
        self.qsettings.setValue("chat/system_prompt", text)

    @property
    def max_tokens(self) -> int:
        return max(1, self._get("chat/max_tokens", DEFAULT_MAX_TOKENS, int))

    @max_tokens.setter
    def max_tokens(self, n: int) -> None:
        self.qsettings.setValue("chat/max_tokens", int(n))

    @property
    def heat_mode(self) -> bool:
        return self._get("chat/heat", False, bool)

    @heat_mode.setter
    def heat_mode(self, on: bool) -> None:
        self.qsettings.setValue("chat/heat", bool(on))

    @property
    def heat_metric(self) -> str:
        value = self._get("chat/heat_metric", "probability", str)
        return value if value in ("probability", "entropy") else "probability"

    @heat_metric.setter
    def heat_metric(self, metric: str) -> None:
        self.qsettings.setValue("chat/heat_metric", metric)

    # --- the app ---------------------------------------------------------------------

    @property
    def language(self) -> str:
        """"system", "en" or "zh_CN"."""
        value = self._get("app/language", "system", str)
        return value if value in {code for code, _ in LANGUAGES} else "system"

    @language.setter
    def language(self, code: str) -> None:
        self.qsettings.setValue("app/language", code)

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        geometry = self.qsettings.value("window/geometry")
        state = self.qsettings.value("window/state")
        return (
            geometry if isinstance(geometry, QByteArray) else None,
            state if isinstance(state, QByteArray) else None,
        )

    def set_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)
