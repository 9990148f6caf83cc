""""Random" numbers are not random: the model's exact distribution over answers 1–100.

Asked to "pick a random number between 1 and 100", the model's probability of each
answer is computed, not sampled: the answers are expanded as a tree of next-token
probabilities. From the prompt, every token that can start a number (digits, optionally
after one space) is followed; from each node every digit token that keeps the text a
prefix of some number 1–100 (no leading zero) is followed, and so on. A node whose text
is a number n ends the answer there with probability P(end | path), so

    P(n) = Σ over token paths spelling n of  Π p(token) × P(end | path)

summed over every tokenization of n. Two meanings of "end" (``strict``):

* strict (default): the next token ends the turn (an end-of-generation token): the reply
  is exactly the number;
* lenient: the next token does not start with a digit (so "1." opening a numbered list
  counts as the answer 1 — small models do that).

``mass`` = Σ P(n) is the probability of a well-formed answer; the distribution shown is
P(n) / mass. Entropy in bits, against
log2(100) ≈ 6.64 for uniform.

Temperatures: each node stores, for a grid of temperatures T (``TEMPERATURES``), the
full-vocabulary log-sum-exp of logits/T and that of the digit-starting tokens, and the
raw logits of its children, so re-weighting at any grid temperature is exact and needs
no model (pure temperature on the full distribution: no top-k/top-p, as llama.cpp with
those stages off).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..engine import Engine
from .common import CancelFlag, Progress, ProgressFn, chat_prompt, check

KIND = "lab.numbers"
PROMPTS = {
    "en": "Pick a random number between 1 and 100. Answer with the number only.",
    "zh": "请在1到100之间随机选一个数字。只回答这个数字。",
}
LOW, HIGH = 1, 100
#: temperatures at which the distribution is exact from stored values: 0.05 … 2.00
TEMPERATURES: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 41))
_PREFIXES = {str(n)[:k] for n in range(LOW, HIGH + 1) for k in range(1, len(str(n)) + 1)}
_NUMBERS = {str(n) for n in range(LOW, HIGH + 1)}
_ROOT_PIECE = re.compile(r" ?[0-9]*")  # fullmatch: ASCII digits only (not ২, not "1\n")
_DIGITS = re.compile(r"[0-9]+")
_ASCII_DIGITS = set("0123456789")


def _lse(x: np.ndarray) -> float:
    if x.size == 0:
        return -math.inf
    top = float(x.max())
    return top + math.log(float(np.exp(x - top).sum()))


@dataclass
class Node:
    text: str  #: the answer so far ("" at the root)
    tokens: list[int]  #: the path from the root
    children: dict[int, int] = field(default_factory=dict)  #: token -> child node index
    child_logits: dict[int, float] = field(default_factory=dict)
    lse: list[float] = field(default_factory=list)  #: per TEMPERATURES, all tokens
    digit_lse: list[float] = field(default_factory=list)  #: per T, digit-starting tokens
    lse1: float = 0.0  #: at T = 1
    digit_lse1: float = -math.inf
    eog_lse: list[float] = field(default_factory=list)  #: per T, end-of-generation tokens
    eog_lse1: float = -math.inf
    logp: float = 0.0  #: log P(path from the root), nats, at T = 1


@dataclass
class NumbersResult:
    model: str
    prompt: str
    nodes: list[Node]
    n_prompt: int = 0
    seconds: float = 0.0
    samples: dict[str, int] = field(default_factory=dict)  #: answer ("other") -> count
    sample_temperature: float = 1.0
    #: P (at T = 1) of the paths not expanded because each was below ``min_path_p``: every
    #: P(n) and the mass are exact to within this
    pruned_mass: float = 0.0

    def distribution(self, temperature: float = 1.0, strict: bool = True) -> dict[int, float]:
        """P(n) for n in 1…100 (not normalised: sums to ``mass``). Exact at T = 1 and
        at every ``TEMPERATURES`` value; other T are refused (ValueError)."""
        if abs(temperature - 1.0) < 1e-9:
            lse = [n.lse1 for n in self.nodes]
            dlse = [n.digit_lse1 for n in self.nodes]
            else_ = [n.eog_lse1 for n in self.nodes]
            t = 1.0
        else:
            i = _t_index(temperature)
            lse = [n.lse[i] for n in self.nodes]
            dlse = [n.digit_lse[i] for n in self.nodes]
            else_ = [n.eog_lse[i] for n in self.nodes]
            t = TEMPERATURES[i]
        out = {n: 0.0 for n in range(LOW, HIGH + 1)}
        stack = [(0, 0.0)]  # node, log P(path)
        while stack:
            k, lp = stack.pop()
            node = self.nodes[k]
            if node.text.strip() in _NUMBERS and node.text.strip()[0] != "0":
                if strict:
                    stop = math.exp(else_[k] - lse[k]) if else_[k] > -math.inf else 0.0
                else:
                    stop = 1.0 - math.exp(dlse[k] - lse[k]) if dlse[k] > -math.inf else 1.0
                out[int(node.text)] += math.exp(lp) * max(0.0, stop)
            for tok, child in node.children.items():
                stack.append((child, lp + node.child_logits[tok] / t - lse[k]))
        return out

    def summary(self, temperature: float = 1.0, strict: bool = True) -> dict[str, Any]:
        """mass, entropy (bits, of the normalised distribution), top-5 as (n, P(n)/mass)."""
        dist = self.distribution(temperature, strict)
        mass = sum(dist.values())
        p = np.array([dist[n] / mass for n in range(LOW, HIGH + 1)]) if mass > 0 else None
        entropy = float(-(p[p > 0] * np.log2(p[p > 0])).sum()) if p is not None else 0.0
        top = sorted(dist.items(), key=lambda kv: -kv[1])[:5]
        return {
            "temperature": temperature, "strict": strict, "mass": mass, "entropy_bits": entropy,
            "uniform_bits": math.log2(HIGH - LOW + 1),
            "top5": [{"n": n, "p": v / mass if mass else 0.0} for n, v in top],
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["kind"] = KIND
        d["summary"] = self.summary()
        d["distribution"] = {str(k): v for k, v in self.distribution().items()}
        for n in d["nodes"]:  # JSON keys are strings; -inf is not JSON
            n["children"] = {str(k): v for k, v in n["children"].items()}
            n["child_logits"] = {str(k): v for k, v in n["child_logits"].items()}
            n["digit_lse"] = [_finite(x) for x in n["digit_lse"]]
            n["digit_lse1"] = _finite(n["digit_lse1"])
            n["eog_lse"] = [_finite(x) for x in n["eog_lse"]]
            n["eog_lse1"] = _finite(n["eog_lse1"])
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> NumbersResult:
        nodes = []
        for n in d["nodes"]:
            nodes.append(Node(
                n["text"], list(n["tokens"]), {int(k): v for k, v in n["children"].items()},
                {int(k): v for k, v in n["child_logits"].items()}, list(n["lse"]),
                [_inf(x) for x in n["digit_lse"]], n["lse1"], _inf(n["digit_lse1"]),
                [_inf(x) for x in n.get("eog_lse", [])], _inf(n.get("eog_lse1")),
                n.get("logp", 0.0),
            ))
        return cls(d["model"], d["prompt"], nodes, d.get("n_prompt", 0), d.get("seconds", 0.0),
                   dict(d.get("samples", {})), d.get("sample_temperature", 1.0),
                   d.get("pruned_mass", 0.0))

    def rows(self, temperature: float = 1.0, strict: bool = True) -> list[dict[str, Any]]:
        dist = self.distribution(temperature, strict)
        mass = sum(dist.values()) or 1.0
        share = sample_share(self.samples, strict)
        return [{"n": n, "p": p, "p_normalised": p / mass,
                 "sample_share": share.get(n, 0.0) if self.samples else None}
                for n, p in dist.items()]


def _finite(x: float) -> float | None:
    return None if x == -math.inf else x


def _inf(x: float | None) -> float:
    return -math.inf if x is None else x


def _t_index(t: float) -> int:
    for i, v in enumerate(TEMPERATURES):
        if abs(v - t) < 1e-6:
            return i
    raise ValueError(f"temperature {t} is not on the stored grid (0.05 … 2.00 in steps of 0.05)")


def numeric_tokens(engine: Engine) -> tuple[dict[int, str], np.ndarray, np.ndarray]:
    """(tokens that can start or continue a number: id -> text), ids of every token whose
    text starts with a digit, ids of the end-of-generation tokens."""
    pieces: dict[int, str] = {}
    starts: list[int] = []
    eog: list[int] = []
    for t in range(engine.n_vocab):
        if engine.is_eog(t):
            eog.append(t)
        if engine.is_special(t):
            continue
        try:
            s = engine.piece(t).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if s[:1] in _ASCII_DIGITS:
            starts.append(t)
        if s and _ROOT_PIECE.fullmatch(s):
            pieces[t] = s
    return pieces, np.array(starts, dtype=np.intp), np.array(eog, dtype=np.intp)


def _viable(text: str) -> bool:
    return text == " " or (text.lstrip(" ") in _PREFIXES and text.count(" ") <= 1
                           and (text.startswith(" ") or " " not in text))


def run_numbers(
    engine: Engine, prompt: str | None = None, lang: str = "en", samples: int = 0,
    temperature: float = 1.0, seed: int = 0, progress: ProgressFn | None = None,
    cancel: CancelFlag | None = None, min_path_p: float = 1e-15,
) -> NumbersResult:
    """Expand the answer tree for ``prompt`` (default ``PROMPTS[lang]``) in a chat turn;
    optionally draw ``samples`` real answers at ``temperature`` (``sample_answers``).

    A path whose probability (T = 1) is below ``min_path_p`` is not expanded; their total
    is ``pruned_mass`` (0 for ``min_path_p=0``). Vocabularies with two tokens per digit
    (Gemma: a normal and a byte-fallback token) would double the tree at every digit.

    Raises ``Cancelled``, ``ContextOverflowError``, ``limits.SettingsError``."""
    check("samples", samples)
    check("lab_temperature", temperature)
    text = prompt or PROMPTS[lang]
    t0 = time.perf_counter()
    base = chat_prompt(engine, text)
    pieces, starts, eog = numeric_tokens(engine)
    temps = np.array(TEMPERATURES, dtype=np.float64)
    nodes = [Node("", [])]
    pruned = 0.0
    log_min = math.log(min_path_p) if min_path_p > 0 else -math.inf
    prog = Progress(1, progress, cancel, "numbers")
    i = 0
    while i < len(nodes):  # breadth first; every node is one eval (prefix reused)
        prog.check()
        node = nodes[i]
        engine.eval_prompt(base + node.tokens)
        x = engine.logits().astype(np.float64)
        node.lse1 = _lse(x)
        node.digit_lse1 = _lse(x[starts])
        node.lse = [_lse(x / t) for t in temps]
        node.digit_lse = [_lse(x[starts] / t) for t in temps]
        node.eog_lse1 = _lse(x[eog])
        node.eog_lse = [_lse(x[eog] / t) for t in temps]
        for tok, s in pieces.items():
            if (node.text == "" or _DIGITS.fullmatch(s)) and _viable(node.text + s):
                lp = node.logp + float(x[tok]) - node.lse1
                if lp < log_min:
                    pruned += math.exp(lp)
                    continue
                node.child_logits[tok] = float(x[tok])
                node.children[tok] = len(nodes)
                nodes.append(Node(node.text + s, [*node.tokens, tok], logp=lp))
        prog.total = len(nodes)
        prog.set_weights(len(nodes))
        prog.step()
        i += 1
    result = NumbersResult(engine.name, text, nodes, len(base), time.perf_counter() - t0,
                           pruned_mass=pruned)
    if samples:
        result.samples = sample_answers(engine, base, samples, temperature, seed, prog)
        result.sample_temperature = temperature
    result.seconds = time.perf_counter() - t0
    return result


def sample_answers(
    engine: Engine, prompt: list[int], n: int, temperature: float, seed: int = 0,
    prog: Progress | None = None, max_tokens: int = 5,
) -> dict[str, int]:
    """Draw ``n`` real answers (temperature only, full vocabulary; 0 = greedy), up to
    ``max_tokens`` tokens each, counted as ``"42"`` (the number, then the end of the turn),
    ``"42…"`` (the number, then other text) or ``"other"``."""
    from ..sampling import softmax

    rng = np.random.default_rng(seed)
    counts: dict[str, int] = {}
    for _ in range(n):
        if prog is not None:
            prog.check()
        engine.eval_prompt(prompt)
        text, ended = "", False
        for j in range(max_tokens):
            x = engine.logits()
            if temperature <= 0:
                tok = int(np.argmax(x))
            else:
                p = softmax((x / np.float32(temperature)).astype(np.float32)).astype(np.float64)
                tok = int(rng.choice(p.size, p=p / p.sum()))
            if engine.is_eog(tok):
                ended = True
                break
            s = engine.piece(tok).decode("utf-8", "replace")
            if text.strip() and s[:1] not in _ASCII_DIGITS:
                break
            text += s
            if not _viable(text):
                break
            if j + 1 < max_tokens:
                engine.eval_token(tok)
        number = text.strip() if text.strip() in _NUMBERS and _viable(text) else None
        key = "other" if number is None else number if ended else number + "…"
        counts[key] = counts.get(key, 0) + 1
    return counts


def sample_share(samples: dict[str, int], strict: bool = True) -> dict[int, float]:
    """Among the samples that answered a number (strict: and then ended), the share of
    each number: comparable with the distribution, which is normalised the same way."""
    counted = {k: c for k, c in samples.items()
               if k != "other" and not (strict and k.endswith("…"))}
    total = sum(counted.values())
    out: dict[int, float] = {}
    for key, c in counted.items():
        k = int(key.rstrip("…"))
        out[k] = out.get(k, 0.0) + c / total
    return out
