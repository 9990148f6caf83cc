"""Every numeric setting has a range; special values mean what they mean in llama.cpp."""

from __future__ import annotations

import math

import pytest

from desktop.core.limits import LIMITS, SettingsError, check, parse
from desktop.core.sampling import SamplerSettings

BAD = {
    "temperature": [-0.1, math.nan, math.inf, -math.inf],
    "top_k": [-1, 2.5],
    "top_p": [-0.01, 1.01, math.nan],
    "min_p": [-0.5, 2.0],
    "typical_p": [-1.0, 1.5],
    "repeat_penalty": [0.0, -1.0, math.inf],
    "repeat_last_n": [-2, -64],
    "frequency_penalty": [math.nan, math.inf],
    "presence_penalty": [-math.inf],
    "seed": [-2, 2**32, 1.5],
    "max_tokens": [0, -2],
    "n_ctx": [-5, -1],
    "n_threads": [0, -1],
    "dry_multiplier": [-0.1, math.nan],
    "dry_base": [-1.0, math.inf],
    "dry_allowed_length": [-1],
    "dry_penalty_last_n": [-2],
    "top_n_sigma": [-2.0, math.nan],
    "xtc_probability": [1.5, -0.1],
    "xtc_threshold": [-0.1, 2.0],
    "dynatemp_range": [-0.5],
    "dynatemp_exponent": [-1.0],
    "mirostat": [3, -1],
    "mirostat_tau": [-1.0],
    "mirostat_eta": [math.inf],
    "top_logprobs": [-1, 1001, 2.5],
    "thinking_budget": [-2, 1.5],
}
SPECIAL = {
    "temperature": [0.0], "top_k": [0], "top_p": [1.0, 0.0], "min_p": [0.0],
    "typical_p": [1.0], "repeat_penalty": [1.0], "repeat_last_n": [-1, 0],
    "seed": [-1, 0, 2**32 - 1], "max_tokens": [-1, 1], "n_ctx": [0],
    "dry_multiplier": [0.0], "dry_penalty_last_n": [-1, 0], "top_n_sigma": [-1.0],
    "xtc_probability": [0.0], "xtc_threshold": [0.6], "dynatemp_range": [0.0],
    "mirostat": [0, 1, 2],
}


def test_every_setting_has_bad_values_listed() -> None:
    assert set(BAD) == set(LIMITS)


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in BAD.items() for v in vs])
def test_out_of_range_values_are_refused_with_what_is_allowed(name: str, value: float) -> None:
    with pytest.raises(SettingsError, match=rf"{name} must be .*not"):
        check(name, value)


@pytest.mark.parametrize(("name", "value"), [(n, v) for n, vs in SPECIAL.items() for v in vs])
def test_special_values_are_accepted(name: str, value: float) -> None:
    assert check(name, value) == value
    assert LIMITS[name].note  # and --help says what they mean


def test_parse_refuses_text_that_is_not_a_number() -> None:
    with pytest.raises(SettingsError, match="whole number"):
        parse("top_k", "forty")
    with pytest.raises(SettingsError):
        parse("temperature", "nan")
    assert parse("seed", "-1") == -1


def test_sampler_settings_check() -> None:
    assert SamplerSettings().check() == SamplerSettings()
    with pytest.raises(SettingsError, match="repeat_penalty"):
        SamplerSettings(repeat_penalty=0.0).check()
