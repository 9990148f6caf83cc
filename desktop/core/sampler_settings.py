"""SamplerSettings: every knob of llama.cpp's sampler family, with llama.cpp's defaults
(common/common.h); ``check`` validates them against ``limits.LIMITS``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class SamplerSettings:
    """Sampler settings; the defaults are llama.cpp's."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    typical_p: float = 1.0
    repeat_penalty: float = 1.0
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    repeat_last_n: int = 64
    seed: int | None = None
    min_keep: int = 1
    # the rest of llama.cpp's family (common/common.h defaults: all off)
    dry_multiplier: float = 0.0
    dry_base: float = 1.75
    dry_allowed_length: int = 2
    #: llama.cpp's default (common.h); -1: the whole context (Tokenscope's, see limits)
    dry_penalty_last_n: int = 64
    dry_sequence_breakers: tuple[str, ...] = ("\n", ":", "\"", "*")
    top_n_sigma: float = -1.0
    xtc_probability: float = 0.0
    xtc_threshold: float = 0.1
    dynatemp_range: float = 0.0
    dynatemp_exponent: float = 1.0
    mirostat: int = 0  #: 0 off, 1 or 2: replaces the chain after the temperature
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    #: (token id, bias) pairs added to the logits first; -inf bans a token
    logit_bias: tuple[tuple[int, float], ...] = ()
    #: a GBNF grammar the reply must follow ("" = none); JSON schemas are converted to it
    grammar: str = ""

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0.0

    @property
    def penalties_active(self) -> bool:
        return self.repeat_last_n != 0 and (
            self.repeat_penalty != 1.0
            or self.frequency_penalty != 0.0
            or self.presence_penalty != 0.0
        )

    @property
    def dry_active(self) -> bool:
        return self.dry_multiplier != 0.0 and self.dry_base >= 1.0 and self.dry_penalty_last_n != 0

    @property
    def xtc_active(self) -> bool:
        return self.xtc_probability > 0.0 and self.xtc_threshold <= 0.5

    @property
    def modern_active(self) -> list[str]:
        """The stages beyond the classic chain that these settings turn on."""
        on = {
            "logit_bias": bool(self.logit_bias), "grammar": bool(self.grammar),
            "dry": self.dry_active,
            "top_n_sigma": self.top_n_sigma > 0.0, "xtc": self.xtc_active,
            "dynatemp": self.dynatemp_range > 0.0, "mirostat": self.mirostat in (1, 2),
        }
        return [k for k, v in on.items() if v]

    def active_stages(self) -> set[str]:
        """The chain stages (``sampling.STAGE_NAMES``) these settings make do something."""
        miro = self.mirostat in (1, 2)
        on = {
            "logit_bias": bool(self.logit_bias), "grammar": bool(self.grammar),
            "penalties": self.penalties_active and not miro,
            "dry": self.dry_active and not miro,
            "top_n_sigma": self.top_n_sigma > 0.0 and not miro,
            "top_k": self.top_k > 0 and not miro, "typical_p": self.typical_p < 1.0 and not miro,
            "top_p": self.top_p < 1.0 and not miro, "min_p": self.min_p > 0.0 and not miro,
            "xtc": self.xtc_active and not miro,
            "temperature": True, "mirostat": miro,
        }
        return {k for k, v in on.items() if v}

    def check(self) -> SamplerSettings:
        """These settings, if every value is in its allowed range (``limits.LIMITS``);
        raises ``limits.SettingsError`` saying which is not and what is allowed."""
        from .limits import check

        for name in ("temperature", "top_k", "top_p", "min_p", "typical_p", "repeat_penalty",
                     "repeat_last_n", "frequency_penalty", "presence_penalty",
                     "dry_multiplier", "dry_base", "dry_allowed_length", "dry_penalty_last_n",
                     "top_n_sigma", "xtc_probability", "xtc_threshold", "dynatemp_range",
                     "dynatemp_exponent", "mirostat", "mirostat_tau", "mirostat_eta"):
            check(name, getattr(self, name))
        if self.seed is not None:
            check("seed", self.seed)
        return self

    def with_(self, **changes: Any) -> SamplerSettings:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SamplerSettings:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        if "dry_sequence_breakers" in values:
            values["dry_sequence_breakers"] = tuple(values["dry_sequence_breakers"])
        if "logit_bias" in values:
            values["logit_bias"] = tuple((int(t), float(b)) for t, b in values["logit_bias"])
        return cls(**values)
