"""Which sampling stages the inspector shows, and their probabilities (pure functions)."""

from __future__ import annotations

from ...core.replay import Replay
from ...core.sampling import STAGE_NAMES, SamplerSettings
from ...core.trace import StepTrace

__all__ = ["restrict", "stage_active", "stage_probabilities", "visible_stages"]


def stage_probabilities(trace: StepTrace, chain: Replay) -> list[dict[int, float]]:
    """Per stage, token -> probability as the sampler sees it there: normalised over the
    whole vocabulary while the unstored tail is still in play (the stored log-sum-exp
    makes that exact), then over the candidates the stage kept (``Replay.stage_probs``)."""
    return [
        dict(zip(c.ids.tolist(), chain.stage_probs(i).tolist(), strict=True))
        for i, (_, c) in enumerate(chain.stages)
    ]


#: the stages always on the strip; the rest of llama.cpp's family shows when it is on
_ALWAYS = ("raw", "penalties", "top_k", "typical_p", "top_p", "min_p", "temperature")


def stage_active(s: SamplerSettings) -> dict[str, bool]:
    """Per stage name: whether these settings make it do anything."""
    miro = s.mirostat in (1, 2)
    return {
        "raw": True, "logit_bias": bool(s.logit_bias), "grammar": bool(s.grammar),
        "penalties": s.penalties_active and not miro, "dry": s.dry_active and not miro,
        "top_n_sigma": s.top_n_sigma > 0.0 and not miro, "top_k": s.top_k > 0 and not miro,
        "typical_p": s.typical_p < 1.0 and not miro, "top_p": s.top_p < 1.0 and not miro,
        "min_p": s.min_p > 0.0 and not miro, "xtc": s.xtc_active and not miro,
        "temperature": s.temperature != 1.0 or s.dynatemp_range > 0.0, "mirostat": miro,
    }


def visible_stages(*settings: SamplerSettings) -> list[int]:
    """Indices (in STAGE_NAMES) of the stages the strip shows: the classic chain, plus
    any other stage that one of ``settings`` turns on."""
    on = [stage_active(s) for s in settings]
    return [i for i, n in enumerate(STAGE_NAMES) if n in _ALWAYS or any(a[n] for a in on)]


def restrict(chain: Replay, keep: list[int]) -> Replay:
    """``chain`` with only the stages at ``keep`` (the others changed nothing)."""
    totals = chain.log_totals
    return Replay(
        stages=[chain.stages[i] for i in keep], notes=chain.notes, selected=chain.selected,
        exact=chain.exact, reason=chain.reason,
        log_totals=tuple(totals[i] for i in keep if i < len(totals)),
    )
