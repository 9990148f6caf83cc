"""The inspector's words for each sampling stage: short titles for the strip and one
sentence per stage saying what it does with these settings (and, for the stateful ones,
what it did at this token)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from ...core.sampling import SamplerSettings


class StageTexts(QObject):
    """Translatable texts of the sampling stages (context ``StageTexts``)."""

    def titles(self) -> dict[str, str]:
        """Short stage names for the strip, by STAGE_NAMES name."""
        return {
            "raw": self.tr("raw"), "logit_bias": self.tr("bias"), "grammar": self.tr("grammar"),
            "penalties": self.tr("penalty"), "dry": self.tr("DRY"),
            "top_n_sigma": self.tr("top-nσ"), "top_k": self.tr("top-k"),
            "typical_p": self.tr("typical"), "top_p": self.tr("top-p"), "min_p": self.tr("min-p"),
            "xtc": self.tr("XTC"), "temperature": self.tr("temp."),
            "mirostat": self.tr("mirostat"),
        }

    def note(
        self, name: str, s: SamplerSettings, n_in: int, n_out: int, notes: dict[str, Any],
        label: Callable[[int], str],
    ) -> str:
        """One sentence saying what a stage did with these settings."""
        if name == "raw":
            return self.tr("Raw softmax of the model's logits: the top {n} stored candidates, with "
                           "their probability over the whole vocabulary.").format(n=n_in)
        if name == "penalties":
            note = self.tr("Repeat penalty {r}: tokens seen in the last {n} tokens are made less "
                           "likely.").format(r=s.repeat_penalty, n=s.repeat_last_n)
            if not s.penalties_active:
                note = self.tr("Penalties are off: nothing changes.")
        elif name == "top_k":
            note = (self.tr("top-k {k}: keeps the {k} most likely tokens.").format(k=s.top_k)
                    if s.top_k > 0 else self.tr("top-k is off."))
        elif name == "typical_p":
            note = (self.tr("typical-p {p}: keeps the tokens whose surprise is closest to the "
                            "average.").format(p=s.typical_p)
                    if s.typical_p < 1.0 else self.tr("typical-p is off."))
        elif name == "top_p":
            note = (self.tr("top-p {p}: keeps the most likely tokens until they add up to {p} (the "
                            "line: cumulative probability).").format(p=s.top_p)
                    if s.top_p < 1.0 else self.tr("top-p is off."))
        elif name == "min_p":
            note = (self.tr("min-p {p}: drops tokens less than {p} × as likely as the best one.")
                    .format(p=s.min_p) if s.min_p > 0.0 else self.tr("min-p is off."))
        elif name in ("logit_bias", "grammar", "dry", "top_n_sigma", "xtc", "mirostat"):
            note = self.modern_note(name, s, notes, label)
        else:
            note = (self.tr("Temperature 0: greedy, only the most likely token stays.") if s.greedy
                    else self.tr("Temperature {t}: below 1 sharper, above 1 flatter.")
                    .format(t=s.temperature))
            note += " " + self.tr("The final distribution: the token is drawn from it.")
        return note + " " + self.tr("{kept} of {n} kept.").format(kept=n_out, n=n_in)

    def modern_note(
        self, name: str, s: SamplerSettings, notes: dict[str, Any], label: Callable[[int], str]
    ) -> str:
        """What one of the newer stages does, and what it did at this token (``notes``: the
        trace's record of it, empty for a what-if)."""
        if name == "logit_bias":
            return self.tr("Logit bias: {n} token(s) made more or less likely (−inf bans)."
                           ).format(n=len(s.logit_bias))
        if name == "grammar":
            text = self.tr("Grammar: tokens that cannot continue the grammar are masked.")
            if "grammar_masked" in notes:
                text += " " + self.tr("Here it masked {n} tokens of the vocabulary.").format(
                    n=notes["grammar_masked"])
            return text
        if name == "dry":
            text = self.tr("DRY {m} × {b}^(n − {a}): a token that would continue a repetition "
                           "of n ≥ {a} tokens is pushed down.").format(
                m=s.dry_multiplier, b=s.dry_base, a=s.dry_allowed_length)
            hits = notes.get("dry") or {}
            if hits:
                parts = [self.tr("“{t}” would repeat {n} tokens (−{p:.2f})").format(
                    t=label(int(t)), n=v[0], p=v[1])
                    for t, v in list(hits.items())[:4]]
                text += " " + "; ".join(parts) + "."
            elif notes:
                text += " " + self.tr("No repetition matched here.")
            return text
        if name == "top_n_sigma":
            return self.tr("top-nσ {n}: keeps the tokens whose logit is within {n} standard "
                           "deviations of the best.").format(n=s.top_n_sigma)
        if name == "xtc":
            text = self.tr("XTC: with chance {p}, removes every token above {t} except the "
                           "least likely of them.").format(p=s.xtc_probability, t=s.xtc_threshold)
            if "xtc_applied" in notes:
                text += " " + (self.tr("Here the coin said: apply.") if notes["xtc_applied"]
                               else self.tr("Here the coin said: skip."))
            return text
        text = self.tr("Mirostat {v}: keeps as many tokens as target a surprise of {tau} bits, "
                       "then draws (it replaces the other stages).").format(
            v=s.mirostat, tau=s.mirostat_tau)
        if "mirostat_mu" in notes:
            text += " " + self.tr("μ before this token: {mu:.2f}.").format(mu=notes["mirostat_mu"])
        return text
