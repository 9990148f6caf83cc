"""Export a conversation to Markdown or JSON, and import the JSON back.

The JSON holds the whole tree (every branch) and, for every reply token, the CLI
``--trace`` row plus the raw numbers a StepTrace is made of, so an imported conversation
can be inspected (and its sampler replayed) exactly like the original.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from .conversation import Conversation, Node
from .errors import TokenscopeError
from .remote_trace import remote_aware
from .sampling import SamplerSettings
from .trace import StepTrace

FORMAT = "tokenscope-conversation"
VERSION = 1


class ImportFormatError(TokenscopeError):
    pass


def to_markdown(conv: Conversation) -> str:
    """The selected branch as Markdown (what the user sees)."""
    lines = [f"# {conv.title or 'Conversation'}", ""]
    if conv.system:
        lines += ["**System:** " + conv.system, ""]
    for node in conv.path():
        who = "You" if node.role == "user" else "Assistant"
        if node.role == "assistant" and node.model:
            who += f" ({node.model})"
        lines += [f"### {who}", "", node.content, ""]
        if node.finish_reason in ("cancelled", "interrupted", "context"):
            lines += [f"*[reply {node.finish_reason}]*", ""]
        if node.role == "assistant" and "seed" in node.stats:
            lines += [f"<sub>seed {node.stats['seed']}</sub>", ""]
    return "\n".join(lines).rstrip() + "\n"


def _trace_row(
    t: StepTrace, settings: SamplerSettings, piece: Callable[[int], bytes] | None
) -> dict[str, Any]:
    row = t.to_json(settings, piece)
    row.update(
        lse=t.lse, logit=t.logit, seconds=t.seconds,
        piece_hex=t.piece.hex(),
        cand_ids=t.cand_ids.tolist(), cand_logits=t.cand_logits.tolist(),
        history=t.history.tolist(),
        cand_cut=None if t.cand_cut is None else t.cand_cut.tolist(),
    )
    if getattr(t, "remote", False):  # the row's token/rank/position are null: keep ours
        row.update(local_token=t.token, local_rank=t.rank, local_position=t.position)
    return row


PieceOf = Callable[[str, int], bytes]  #: (model name, token id) -> the token's bytes
SpecialOf = Callable[[str, int], bool]  #: (model name, token id) -> is it a special token


def _vocab(conv: Conversation, piece: PieceOf, special: SpecialOf | None) -> dict[str, Any]:
    """The text of every token id the conversation shows (prompts, replies, candidates),
    per model, so an import can be inspected without the model."""
    ids: dict[str, set[int]] = {}
    for n in conv.nodes.values():
        if not n.model:
            continue
        used = ids.setdefault(n.model, set())
        used.update(n.prompt_tokens)
        for t in n.traces:
            used.add(t.token)
            used.update(t.cand_ids.tolist())
    return {
        model: {
            str(i): [piece(model, i).hex(), bool(special(model, i)) if special else False]
            for i in sorted(used)
        }
        for model, used in ids.items()
    }


def pieces_from_json(data: dict[str, Any]) -> dict[str, dict[int, tuple[bytes, bool]]]:
    """The token texts an export carries, per model (empty for older exports)."""
    try:
        return {
            str(model): {int(i): (bytes.fromhex(h), bool(s)) for i, (h, s) in table.items()}
            for model, table in dict(data.get("pieces") or {}).items()
        }
    except (TypeError, ValueError, AttributeError) as exc:
        raise ImportFormatError(f"The token texts in the file are damaged ({exc}).") from exc


def to_json(
    conv: Conversation, piece: PieceOf | None = None, special: SpecialOf | None = None,
    results: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole tree; ``piece`` names the candidates in each trace row's ``top`` and
    fills the ``pieces`` table (token texts per model). ``results``: the saved lens
    results of this conversation (``results.results_of``), exported as they are."""
    nodes = []
    for n in sorted(conv.nodes.values(), key=lambda n: n.id):
        settings = n.settings or SamplerSettings()
        of_model = (lambda t, m=n.model: piece(m, t)) if piece else None
        nodes.append({
            "id": n.id, "parent": n.parent, "role": n.role, "content": n.content,
            "settings": n.settings.to_dict() if n.settings else None,
            "prompt_tokens": n.prompt_tokens, "finish_reason": n.finish_reason,
            "stats": n.stats, "branched_at": n.branched_at, "dropped": n.dropped,
            "model": n.model,
            "traces": [_trace_row(t, settings, of_model) for t in n.traces],
        })
    return {
        "format": FORMAT, "version": VERSION,
        "exported": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "title": conv.title, "system": conv.system, "leaf": conv.leaf, "nodes": nodes,
        "pieces": _vocab(conv, piece, special) if piece else {},
        **({"results": results} if results else {}),
    }


def _trace_from_row(r: dict[str, Any]) -> StepTrace:
    p_sample = float("nan") if r["p_sample"] is None else float(r["p_sample"])
    return StepTrace(
        index=int(r["index"]), position=int(r.get("local_position", r["position"])),
        token=int(r.get("local_token", r["token"])),
        piece=bytes.fromhex(r["piece_hex"]), p_model=float(r["p_model"]),
        p_sample=p_sample, rank=int(r.get("local_rank", r["rank"])),
        entropy=float(r["entropy"]),
        lse=float(r["lse"]), logit=float(r["logit"]),
        cand_ids=np.asarray(r["cand_ids"], dtype=np.int32),
        cand_logits=np.asarray(r["cand_logits"], dtype=np.float32),
        history=np.asarray(r["history"], dtype=np.int32), seconds=float(r.get("seconds", 0.0)),
        cand_cut=None if r.get("cand_cut") is None else np.asarray(r["cand_cut"], dtype=np.int8),
    )


def from_json(data: dict[str, Any]) -> Conversation:
    """A conversation from ``to_json`` output (not yet saved: its id is None)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportFormatError(
            "This file is not a Tokenscope conversation export (JSON with "
            f'"format": "{FORMAT}").'
        )
    if int(data.get("version", 0)) > VERSION:
        raise ImportFormatError(
            "This conversation was exported by a newer Tokenscope; update to import it."
        )
    conv = Conversation(title=str(data.get("title", "")), system=str(data.get("system", "")))
    try:
        for n in sorted(data["nodes"], key=lambda n: n["id"]):
            conv.add_existing(Node(
                id=int(n["id"]), parent=n["parent"], role=str(n["role"]),
                content=str(n["content"]),
                settings=SamplerSettings.from_dict(n["settings"]) if n.get("settings") else None,
                prompt_tokens=[int(t) for t in n.get("prompt_tokens", [])],
                finish_reason=str(n.get("finish_reason", "")), stats=dict(n.get("stats", {})),
                branched_at=n.get("branched_at"), dropped=list(n.get("dropped", [])),
                model=str(n.get("model", "")),
                traces=remote_aware(dict(n.get("stats", {})),
                                     [_trace_from_row(r) for r in n.get("traces", [])]),
            ))
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportFormatError(
            f"The conversation file is damaged or incomplete ({exc!r})."
        ) from exc
    leaf = data.get("leaf")
    conv.leaf = leaf if leaf in conv.nodes else (max(conv.nodes) if conv.nodes else None)
    return conv


def dumps(
    conv: Conversation, piece: PieceOf | None = None, special: SpecialOf | None = None,
    results: list[dict[str, Any]] | None = None,
) -> str:
    return json.dumps(to_json(conv, piece, special, results), ensure_ascii=False, indent=1)
