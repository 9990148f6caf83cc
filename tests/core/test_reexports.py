"""gguf_file, store and library were split into smaller modules: every public name they
had (and the private ones tests reach for) is still importable from them, as the same
object as in its new home."""

from __future__ import annotations

import importlib

import pytest

BEFORE_THE_SPLIT = {
    "gguf_file": [
        "BITS_PER_WEIGHT", "CHECKED_FILE", "DEFAULT_ALIGNMENT", "FILE_TYPES", "GGML_TYPES",
        "GGUFArray", "GGUFHeader", "GGUFInfo", "GGUF_MAGIC", "InvalidGGUFError",
        "KEEP_ARRAY_ITEMS", "MAX_ARRAY", "MAX_DIMS", "MAX_EXPERTS", "MAX_LAYERS", "MAX_NAME",
        "MAX_STRING", "OVERHEAD_BYTES", "ROPE_SCALING_TYPES", "SUPPORTED_VERSIONS",
        "SplitModelError", "Stamp", "TensorInfo", "Verdict", "available_ram",
        "estimate_memory", "fit_verdict", "forget_checked", "info_from_header",
        "info_from_name", "kv_bytes_per_token", "params_from_name", "quant_from_name",
        "read_header", "read_info", "split_info", "split_part_name",
        "_RACY_NS", "_recall", "_remembered",
    ],
    "store": [
        "ConversationSummary", "FLUSH_SECONDS", "ReplyWriter", "SCHEMA_VERSION", "Store",
        "StoreCorruptError", "StoreError", "StoreFullError", "StoreNewerError",
        "StoreReadOnlyError", "default_path", "_MIGRATIONS",
    ],
    "library": [
        "DiskFullError", "Found", "LINKS_FILE", "LibraryEntry", "LibraryError",
        "ModelNotFoundError", "Source", "check_free_space", "delete", "find", "format_size",
        "import_file", "list_models", "repo_dir", "resolve",
    ],
}  # fmt: skip

PARTS = {
    "gguf_file": [
        "gguf_types", "gguf_header", "gguf_hparams", "gguf_split", "gguf_info", "gguf_memory",
    ],
    "store": ["store_db", "reply_writer"],
    "library": ["library_scan"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(BEFORE_THE_SPLIT))
def test_every_name_is_still_importable_from_the_old_module(module: str) -> None:
    old = importlib.import_module(f"desktop.core.{module}")
    missing = [name for name in BEFORE_THE_SPLIT[module] if not hasattr(old, name)]
    assert missing == []
    assert set(old.__all__) <= set(dir(old))
    for part in PARTS[module]:
        new = importlib.import_module(f"desktop.core.{part}")
        for name in BEFORE_THE_SPLIT[module]:
            if name in vars(new):
                assert getattr(old, name) is getattr(new, name), f"{module}.{name}"
