"""GGUF files for tests: split, rewritten with extra keys, patched, or written byte by byte;
and llama.cpp's own GGUF reader and loader run on them in a subprocess (a crash there must
not take the test run with it).

Splits are real: part 1 keeps all the metadata, every part gets `split.no` (uint16),
`split.count` (uint16) and `split.tensors.count` (int32), and the files are named
`<stem>-0000i-of-0000n.gguf` (the gguf package's writer, which convert_hf_to_gguf.py uses
for its own splits, writes exactly this).
"""

from __future__ import annotations

import importlib.util
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

from gguf import GGUFReader, GGUFValueType, GGUFWriter


def split_gguf(src: Path, out: Path, max_tensors: int) -> list[Path]:
    """Split `src` into parts of at most `max_tensors` tensors, named after `out`'s stem."""
    n_tensors = len(GGUFReader(src).tensors)
    rewrite_gguf(src, out, max_tensors=max_tensors)
    n = -(-n_tensors // max_tensors)
    return [out.with_name(f"{out.stem}-{i:05d}-of-{n:05d}.gguf") for i in range(1, n + 1)]


def rewrite_gguf(
    src: Path, out: Path, *, max_tensors: int = 0, extra: dict[str, str] | None = None
) -> Path:
    """Copy `src` to `out` (split when `max_tensors`), adding the string keys in `extra`."""
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
    for key, value in (extra or {}).items():
        writer.add_string(key, value)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensor.data, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return out


def patch_bytes(path: Path, old: bytes, new: bytes) -> None:
    """Replace the one occurrence of `old` in the file by `new` of the same length."""
    assert len(old) == len(new)
    data = path.read_bytes()
    assert data.count(old) == 1, f"{old!r} occurs {data.count(old)} times in {path.name}"
    path.write_bytes(data.replace(old, new))


# --- byte-level GGUF files (for headers no writer would produce) ---------------------------

STRING, ARRAY, UINT32, UINT64 = 8, 9, 4, 10


def gguf_string(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


def raw_gguf(
    kv: list[tuple[bytes, int, bytes]],
    tensors: list[tuple[bytes, tuple[int, ...], int, int]],
    data: bytes,
    *,
    version: int = 3,
    alignment: int = 32,
    byte_order: str = "<",
) -> bytes:
    """A GGUF file: `kv` as (key, gguf type, encoded value), `tensors` as (name, shape,
    ggml type, offset), then `data` at the next multiple of `alignment`."""
    out = b"GGUF" + struct.pack(byte_order + "IQQ", version, len(tensors), len(kv))
    for key, vtype, payload in kv:
        out += gguf_string(key) + struct.pack("<I", vtype) + payload
    for name, shape, ttype, offset in tensors:
        out += gguf_string(name) + struct.pack("<I", len(shape))
        out += b"".join(struct.pack("<q", n) for n in shape) + struct.pack("<iQ", ttype, offset)
    out += bytes(-len(out) % alignment)
    return out + data


# --- llama.cpp itself, in a subprocess -----------------------------------------------------

_C_READER = r"""
import ctypes, json, sys
lib = ctypes.CDLL(sys.argv[1])
class Params(ctypes.Structure):
    _fields_ = [("no_alloc", ctypes.c_bool), ("ctx", ctypes.c_void_p)]
lib.gguf_init_from_file.restype = ctypes.c_void_p
lib.gguf_init_from_file.argtypes = [ctypes.c_char_p, Params]
for name in ("gguf_get_n_kv", "gguf_get_n_tensors"):
    getattr(lib, name).restype = ctypes.c_int64
    getattr(lib, name).argtypes = [ctypes.c_void_p]
lib.gguf_get_data_offset.restype = ctypes.c_size_t
lib.gguf_get_data_offset.argtypes = [ctypes.c_void_p]
lib.gguf_get_tensor_offset.restype = ctypes.c_size_t
lib.gguf_get_tensor_offset.argtypes = [ctypes.c_void_p, ctypes.c_int64]
lib.gguf_free.argtypes = [ctypes.c_void_p]
for path in sys.stdin.read().splitlines():
    ctx = lib.gguf_init_from_file(path.encode(), Params(True, None))
    if not ctx:
        print("null", flush=True)
        continue
    n = lib.gguf_get_n_tensors(ctx)
    print(json.dumps({
        "n_kv": lib.gguf_get_n_kv(ctx),
        "data_offset": lib.gguf_get_data_offset(ctx),
        "offsets": [lib.gguf_get_tensor_offset(ctx, i) for i in range(n)],
    }), flush=True)
    lib.gguf_free(ctx)
"""

_LOADER = r"""
import sys
import llama_cpp
for path in sys.stdin.read().splitlines():
    try:
        llama = llama_cpp.Llama(path, n_ctx=64, n_threads=1, verbose=False)
    except Exception as exc:
        print("refused", type(exc).__name__, flush=True)
    else:
        llama.close()
        print("loaded", flush=True)
"""


def ggml_base_library() -> Path | None:
    """The libggml-base that llama-cpp-python bundles (holds llama.cpp's GGUF reader)."""
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    found = sorted(lib.glob("libggml-base.*")) if lib.is_dir() else []
    return found[0] if found else None


def _run(script: str, args: list[str], files: list[Path]) -> tuple[list[str], int, str]:
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        input="\n".join(str(f) for f in files),
        capture_output=True,
        text=True,
        timeout=600,
    )
    return proc.stdout.splitlines(), proc.returncode, proc.stderr[-2000:]


def c_reader(files: list[Path]) -> list[dict[str, Any] | None]:
    """What llama.cpp's gguf_init_from_file makes of each file (None: refused)."""
    lib = ggml_base_library()
    assert lib is not None
    lines, rc, err = _run(_C_READER, [str(lib)], files)
    assert rc == 0, f"llama.cpp's GGUF reader crashed (rc {rc}) on {files[len(lines)]}: {err}"
    return [json.loads(line) for line in lines]


def llama_cpp_loads(files: list[Path]) -> list[str]:
    """'loaded' or 'refused <exception>' per file, from llama-cpp-python in a subprocess."""
    lines, rc, err = _run(_LOADER, [], files)
    assert rc == 0, f"llama.cpp crashed (rc {rc}) loading {files[len(lines)]}: {err}"
    return lines
