"""Split GGUF files as llama.cpp's `gguf-split --split-max-tensors N` does, and patch bytes.

The parts are real: part 1 keeps all the metadata, every part gets `split.no` (uint16),
`split.count` (uint16) and `split.tensors.count` (int32), and the files are named
`<stem>-0000i-of-0000n.gguf` (the gguf package's writer, which convert_hf_to_gguf.py uses
for its own splits, writes exactly this).
"""

from __future__ import annotations

from pathlib import Path

from gguf import GGUFReader, GGUFValueType, GGUFWriter


def split_gguf(src: Path, out: Path, max_tensors: int) -> list[Path]:
    """Split `src` into parts of at most `max_tensors` tensors, named after `out`'s stem."""
    out.parent.mkdir(parents=True, exist_ok=True)
    reader = GGUFReader(src)
    arch_field = reader.get_field("general.architecture")
    assert arch_field is not None
    writer = GGUFWriter(out, str(arch_field.contents()), split_max_tensors=max_tensors)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        vtype = GGUFValueType(field.types[0])
        sub = GGUFValueType(field.types[-1]) if vtype == GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), vtype, sub_type=sub)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    del reader
    n = -(-len(list(GGUFReader(src).tensors)) // max_tensors)
    return [out.with_name(f"{out.stem}-{i:05d}-of-{n:05d}.gguf") for i in range(1, n + 1)]


def patch_bytes(path: Path, old: bytes, new: bytes) -> None:
    """Replace the one occurrence of `old` in the file by `new` of the same length."""
    assert len(old) == len(new)
    data = path.read_bytes()
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times in {path.name}"
    path.write_bytes(data.replace(old, new))
