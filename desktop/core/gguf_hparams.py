"""A model's hyperparameters against llama.cpp's limits: what its loader would abort on is
refused here, with a message, before llama.cpp sees the file."""

from __future__ import annotations

from .gguf_header import GGUFArray, GGUFHeader, InvalidGGUFError, invalid_gguf
from .gguf_types import INT32, UINT32

MAX_LAYERS = 512  # LLAMA_MAX_LAYERS
MAX_EXPERTS = 1024  # LLAMA_MAX_EXPERTS
ROPE_SCALING_TYPES = ("none", "linear", "yarn", "longrope")


def check_hyperparameters(header: GGUFHeader) -> None:
    """The checks llama.cpp makes with GGML_ASSERT (an abort, not an error) while it reads
    the hyperparameters every architecture shares (llama_model::load_hparams). A value of
    the wrong type is left to llama.cpp, which refuses it with an error."""
    arch = header.string("general.architecture")
    if arch is None:
        return

    def u32(key: str) -> int | None:
        full = f"{arch}.{key}"
        return header.metadata[full] if header.types.get(full) == UINT32 else None

    def u32_or_array_max(key: str) -> int | None:
        value = header.metadata.get(f"{arch}.{key}")
        if isinstance(value, GGUFArray):
            if value.item_type in (UINT32, INT32) and value.values:
                return max(v & 0xFFFFFFFF for v in value.values)
            return None
        return u32(key)

    def refuse(what: str) -> InvalidGGUFError:
        return invalid_gguf(
            header.path,
            f"its metadata says {what}, which llama.cpp cannot load",
            "The file is damaged or was made for another program; download it again, or "
            "choose another file.",
        )

    n_layer = u32("block_count")
    if n_layer is not None and not 0 < n_layer <= MAX_LAYERS:
        raise refuse(f"{arch}.block_count = {n_layer} (1 to {MAX_LAYERS} layers)")
    nextn = u32("nextn_predict_layers")
    if nextn is not None and n_layer is not None and nextn > n_layer:
        raise refuse(f"{arch}.nextn_predict_layers = {nextn}, more than its {n_layer} layers")
    n_expert = u32("expert_count") or 0
    used = u32_or_array_max("expert_used_count") or 0
    groups = u32("expert_group_count") or 0
    group_used = u32("expert_group_used_count") or 0
    experts = f"{n_expert} experts, {used} used, {groups} groups, {group_used} groups used"
    if n_expert > MAX_EXPERTS or used > n_expert:
        raise refuse(experts)
    if n_expert > 0:
        bad_groups = groups > 1 and (n_expert % groups or not 0 < group_used < groups)
        if used == 0 or groups >= n_expert or bad_groups:
            raise refuse(experts)
    elif groups:
        raise refuse(experts)
    rope = header.metadata.get(f"{arch}.rope.scaling.type")
    if isinstance(rope, str) and rope not in ROPE_SCALING_TYPES:
        raise refuse(f"the RoPE scaling type {rope!r}")

