"""A conversation as a tree: every edit, regeneration or token branch is a sibling.

The path from the root to the selected leaf is what the user sees (and what the model
gets). Each assistant node keeps the StepTraces of its reply, the exact prompt tokens it
was generated from and the sampler settings used, so every panel can be rebuilt from it
without the model.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from .chat import Message
from .sampling import SamplerSettings
from .trace import StepTrace


@dataclass
class Node:
    id: int
    role: str  #: "user" or "assistant" (the system prompt lives on the Conversation)
    content: str
    parent: int | None
    children: list[int] = field(default_factory=list)
    #: assistant replies: one StepTrace per generated token
    traces: list[StepTrace] = field(default_factory=list)
    settings: SamplerSettings | None = None
    #: the prompt tokens this reply was generated from (after the chat template)
    prompt_tokens: list[int] = field(default_factory=list)
    #: "eog", "stop", "length", "context", "cancelled", "interrupted", or "" while streaming
    finish_reason: str = ""
    #: prompt/generation timings and KV reuse: n_prompt, n_reused, prompt_seconds, ...
    stats: dict[str, Any] = field(default_factory=dict)
    #: for a reply branched at a token: the index of the token that was swapped
    branched_at: int | None = None
    #: indices of earlier messages (on the path) dropped from the context for this reply
    dropped: list[int] = field(default_factory=list)
    model: str = ""

    @property
    def tokens(self) -> list[int]:
        return [t.token for t in self.traces]


class Conversation:
    def __init__(self, title: str = "", system: str = "") -> None:
        self.id: int | None = None  #: its row in the store, once saved
        self.title = title
        self.system = system
        self.nodes: dict[int, Node] = {}
        self.roots: list[int] = []
        self.leaf: int | None = None  #: the selected path ends here
        self._ids = itertools.count(1)

    # --- building ------------------------------------------------------------------

    def add(self, parent: int | None, role: str, content: str = "", **kw: Any) -> Node:
        node = Node(next(self._ids), role, content, parent, **kw)
        self.nodes[node.id] = node
        (self.nodes[parent].children if parent is not None else self.roots).append(node.id)
        self.leaf = node.id
        return node

    def remove(self, node_id: int) -> None:
        """Remove a node without children (e.g. a message that could not be answered)."""
        node = self.nodes[node_id]
        if node.children:
            raise ValueError("only a node without replies can be removed")
        del self.nodes[node_id]
        (self.roots if node.parent is None else self.nodes[node.parent].children).remove(node_id)
        if self.leaf == node_id:
            self.leaf = node.parent

    def add_existing(self, node: Node) -> None:
        """Insert a node loaded from storage (ids preserved)."""
        self.nodes[node.id] = node
        if node.parent is None:
            self.roots.append(node.id)
        else:
            self.nodes[node.parent].children.append(node.id)
        self._ids = itertools.count(max(self.nodes) + 1)

    # --- reading -------------------------------------------------------------------

    def path(self, leaf: int | None = None) -> list[Node]:
        """Nodes from the root to ``leaf`` (default: the selected leaf)."""
        out: list[Node] = []
        nid = self.leaf if leaf is None else leaf
        while nid is not None:
            node = self.nodes[nid]
            out.append(node)
            nid = node.parent
        return out[::-1]

    def siblings(self, node_id: int) -> list[int]:
        parent = self.nodes[node_id].parent
        return list(self.roots if parent is None else self.nodes[parent].children)

    def select(self, node_id: int) -> None:
        """Select ``node_id``'s branch, following the most recent child down to a leaf."""
        nid = node_id
        while self.nodes[nid].children:
            nid = self.nodes[nid].children[-1]
        self.leaf = nid

    def switch_sibling(self, node_id: int, step: int) -> int:
        """Select the previous (-1) or next (+1) version of ``node_id``; returns its id."""
        sibs = self.siblings(node_id)
        i = (sibs.index(node_id) + step) % len(sibs)
        self.select(sibs[i])
        return sibs[i]

    def messages(self, upto: int | None = None) -> list[Message]:
        """The chat messages on the path to ``upto`` (inclusive), system prompt first."""
        msgs = [Message("system", self.system)] if self.system else []
        return msgs + [Message(n.role, n.content) for n in self.path(upto)]
