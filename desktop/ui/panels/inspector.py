"""Token inspector: for one generated token, the candidates at every sampling stage, and a
"what if" that replays the stored candidates with other sampler settings (no model)."""

from __future__ import annotations

import html
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ...core.conversation import Node
from ...core.replay import Replay
from ...core.sampling import STAGE_NAMES, SamplerSettings
from ...core.trace import StepTrace
from ..heat import entropy_color, prob_color
from ._bars import CandidateChart, CandidateRow
from ._common import percent, text_on, token_label, warning_color
from ._remote_texts import RemoteTexts, is_remote
from ._stage_texts import StageTexts
from ._stage_view import restrict, stage_active, stage_probabilities, visible_stages
from ._stages import StageStrip

PieceFn = Callable[[int], bytes]

#: the what-if controls: settings field -> (minimum, maximum, step, decimals)
_CONTROLS: dict[str, tuple[float, float, float, int]] = {
    "temperature": (0.0, 5.0, 0.05, 2),
    "top_k": (0, 1000, 1, 0),
    "top_p": (0.0, 1.0, 0.01, 2),
    "min_p": (0.0, 1.0, 0.01, 2),
    "typical_p": (0.0, 1.0, 0.05, 2),
    "repeat_penalty": (0.5, 2.0, 0.05, 2),
}


class InspectorPanel(QWidget):
    """The selected token's candidates, stage by stage, with a what-if replay."""

    branch_requested = Signal(int, int, int)  #: node id, token index, replacement token

    def __init__(self, parent: QWidget | None = None, top_n: int = 12) -> None:
        super().__init__(parent)
        self.top_n = top_n
        self._piece: PieceFn | None = None
        self._node: Node | None = None
        self._index = -1
        self._loading = False
        self._recorded = True  # the settings shown are the ones the reply was sampled with
        self._trace: StepTrace | None = None
        self._trace_notes: dict | None = None
        self._cut_map: dict[int, int] = {}
        self.texts = StageTexts(self)
        self.remote_texts = RemoteTexts(self)

        self.placeholder = QLabel(self.tr(
            "Click a token of a reply, in the timeline or in the chat with heat mode on "
            "(Ctrl+H), to see the candidates the model weighed and what the sampler did "
            "with them."))
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setMargin(12)  # centred lines never touch the dock's edges

        self.header = QLabel()
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.strip = StageStrip()
        self.strip.setToolTip(self.tr("Sampling stages, in order. ←/→ to step through them."))
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.chart = CandidateChart()
        self.branch_button = QPushButton()
        self.branch_button.setToolTip(self.tr(
            "Start a new version of this reply that keeps the tokens before this one and "
            "continues with the selected candidate instead (the model runs from there)."))
        self.whatif = self._build_whatif()

        content = QWidget()
        # never wider than the dock (there is no horizontal scroll bar): the stage chips
        # wrap into rows instead of running off the right edge
        content.setMinimumWidth(1)
        box = QVBoxLayout(content)
        for w in (self.header, self.strip, self.note, self.chart, self.branch_button,
                  self.whatif):
            box.addWidget(w)
        box.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.placeholder)
        outer.addWidget(self.scroll_area)

        self.strip.stage_selected.connect(lambda _i: self._redraw())
        self.chart.row_selected.connect(lambda _t: self._update_branch_button())
        self.chart.row_activated.connect(self._branch)
        self.branch_button.clicked.connect(self._branch_selected)
        self.clear()

    # --- public API ----------------------------------------------------------------

    def set_piece_fn(self, fn: PieceFn) -> None:
        """``fn(token id) -> bytes`` names the candidates."""
        self._piece = fn
        self._redraw()

    def show_token(self, node: Node, index: int) -> None:
        """Inspect token ``index`` of reply ``node``. The what-if settings start from the
        reply's own settings, and stay while other tokens of the same reply are shown."""
        if not 0 <= index < len(node.traces):
            self.clear()
            return
        new_node = self._node is not node
        self._node, self._index = node, index
        if new_node:
            self.strip.set_current(len(STAGE_NAMES) - 1)
            self._load_settings(node.settings or SamplerSettings())
        self.placeholder.hide()
        self.scroll_area.show()
        self._redraw()

    def clear(self) -> None:
        self._node, self._index = None, -1
        self.chart.set_data([], 0, [])
        self.scroll_area.hide()
        self.placeholder.show()

    def current_settings(self) -> SamplerSettings:
        """The what-if settings the controls describe now."""
        base = (self._node.settings if self._node else None) or SamplerSettings()
        values = {
            k: (int(s.value()) if k == "top_k" else round(s.value(), 4))
            for k, s in self.spins.items()
        }
        return base.with_(**values)

    # --- what-if controls ----------------------------------------------------------

    def _build_whatif(self) -> QGroupBox:
        group = QGroupBox(self.tr("What if…"))
        group.setToolTip(self.tr("Hypothetical: nothing here changes the reply."))
        grid = QGridLayout(group)
        intro = QLabel(self.tr(
            "Hypothetical: replays this token's {n} stored candidates through the sampler "
            "with other settings, without the model.").format(n=64))
        intro.setWordWrap(True)
        self._intro = intro
        grid.addWidget(intro, 0, 0, 1, 2)
        labels = {
            "temperature": (self.tr("Temperature"), self.tr("0 = greedy (always the top token)")),
            "top_k": (self.tr("Top-k"), self.tr("Keep the k most likely tokens (0 = off)")),
            "top_p": (self.tr("Top-p"), self.tr("Keep tokens until they add up to p (1 = off)")),
            "min_p": (self.tr("Min-p"), self.tr("Drop tokens below p × the best (0 = off)")),
            "typical_p": (self.tr("Typical-p"), self.tr("Locally typical sampling (1 = off)")),
            "repeat_penalty": (self.tr("Repeat pen."),
                               self.tr("Penalise recently seen tokens (1 = off)")),
        }
        self.spins: dict[str, QSpinBox | QDoubleSpinBox] = {}
        for i, (key, (lo, hi, step, decimals)) in enumerate(_CONTROLS.items()):
            spin: QSpinBox | QDoubleSpinBox
            if decimals == 0:
                spin = QSpinBox()
                spin.setRange(int(lo), int(hi))
                spin.setSpecialValueText(self.tr("off"))
            else:
                spin = QDoubleSpinBox()
                spin.setRange(lo, hi)
                spin.setSingleStep(step)
                spin.setDecimals(decimals)
            spin.setCorrectionMode(QAbstractSpinBox.CorrectionMode.CorrectToNearestValue)
            text, tip = labels[key]
            label = QLabel(text)
            label.setBuddy(spin)
            label.setToolTip(tip)
            spin.setToolTip(tip)
            spin.setAccessibleName(text)
            spin.valueChanged.connect(self._settings_changed)
            # one control per row: the dock is narrow, and labels must not be cut off
            grid.addWidget(label, 1 + i, 0)
            grid.addWidget(spin, 1 + i, 1)
            self.spins[key] = spin
        self.whatif_status = QLabel()
        self.whatif_status.setWordWrap(True)
        self.reset_button = QPushButton(self.tr("Reset"))
        self.reset_button.setToolTip(self.tr("Back to the settings this reply was sampled with"))
        self.reset_button.clicked.connect(self._reset)
        bottom = QHBoxLayout()
        bottom.addWidget(self.whatif_status, 1)
        bottom.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(bottom, 1 + len(_CONTROLS), 0, 1, 2)
        grid.setColumnStretch(1, 1)
        return group

    def _load_settings(self, s: SamplerSettings) -> None:
        self._loading = True
        try:
            for key, spin in self.spins.items():
                value = getattr(s, key)
                if isinstance(spin, QSpinBox):
                    spin.setMaximum(max(spin.maximum(), int(value)))
                    spin.setValue(int(value))
                else:
                    spin.setValue(float(value))
        finally:
            self._loading = False

    def _settings_changed(self) -> None:
        if not self._loading:
            self._redraw()

    def _reset(self) -> None:
        if self._node is not None:
            self._load_settings(self._node.settings or SamplerSettings())
            self._redraw()

    # --- stage texts -----------------------------------------------------------------

    def stage_titles(self) -> dict[str, str]:
        return self.texts.titles()

    def stage_note(self, name: str, s: SamplerSettings, n_in: int, n_out: int) -> str:
        notes = (self._trace_notes or {}) if self._recorded else {}
        return self.texts.note(name, s, n_in, n_out, notes, self._label_of)

    def _label_of(self, token: int) -> str:
        return self._label(token, self._trace) if self._trace else f"#{token}"

    # --- drawing -------------------------------------------------------------------

    def _label(self, token: int, trace: StepTrace) -> str:
        if token == trace.token:
            return token_label(trace.piece)
        return token_label(self._piece(token)) if self._piece else f"#{token}"

    def _rows(self, trace: StepTrace, chain: Replay) -> list[CandidateRow]:
        ids = trace.cand_ids[: self.top_n].tolist()
        all_ids = trace.cand_ids.tolist()
        if trace.token not in ids and trace.token in all_ids:
            ids.append(trace.token)  # always show the chosen token
        probs = stage_probabilities(trace, chain)
        if self._recorded and trace.cand_cut is not None:  # what the sampler really did
            where = {t: i for i, t in enumerate(all_ids)}
            cuts = [self._cut_map.get(int(trace.cand_cut[where[t]]), -1) for t in ids]
        else:
            cuts = chain.cut_at(np.array(ids, dtype=np.int32)).tolist()
        raw = probs[0]
        return [
            CandidateRow(
                token=t, label=self._label(t, trace), p_model=raw.get(t, 0.0),
                rank=all_ids.index(t) + 1, probs=[p.get(t) for p in probs], cut=cut,
                chosen=t == trace.token,
            )
            for t, cut in zip(ids, cuts, strict=True)
        ]

    def _redraw(self) -> None:
        node, index = self._node, self._index
        if node is None or not 0 <= index < len(node.traces):
            return
        trace = node.traces[index]
        settings = self.current_settings()
        used = node.settings or SamplerSettings()
        self._recorded = all(getattr(settings, k) == getattr(used, k) for k in self.spins)
        self._trace, self._trace_notes = trace, trace.notes
        keep = visible_stages(settings, used)
        grammar_on_server = is_remote(trace) and bool(used.grammar.strip())
        if grammar_on_server:  # which candidates the server's grammar allowed is not
            keep = keep[:1]  # known: replaying the later stages would contradict its choice
        chain = restrict(trace.replay(settings), keep)
        self._cut_map = {orig: pos for pos, orig in enumerate(keep)}
        counts = [len(c) for _, c in chain.stages]
        names = [n for n, _ in chain.stages]
        all_titles = self.stage_titles()
        titles = [all_titles[n] for n in names]
        tips = [
            self.stage_note(n, settings, counts[max(0, i - 1)], counts[i])
            for i, n in enumerate(names)
        ]
        active = stage_active(settings)
        self.strip.set_stages(titles, counts, tips, [active[n] for n in names])
        stage = self.strip.current()
        rows = self._rows(trace, chain)
        if stage > 0:  # from the penalties on, in the order the sampler sees them
            rows.sort(key=lambda r: -(r.probs[1] or 0.0))
        cumulative: dict[int, float] = {}
        threshold = None
        if names[stage] == "top_p" and settings.top_p < 1.0:
            before = chain.stages[stage - 1][1]
            p_before = chain.stage_probs(stage - 1)
            order = np.argsort(-p_before, kind="stable")
            cum = np.cumsum(p_before[order])
            cumulative = dict(zip(before.ids[order].tolist(), cum.tolist(), strict=True))
            threshold = settings.top_p
        self.chart.set_data(rows, stage, titles, cumulative, threshold)
        self.note.setText(self.remote_texts.stages_note(
            len(trace.cand_ids), node.stats.get("remote", {}).get("not_applied", []),
            grammar_on_server) if is_remote(trace) else tips[stage])
        self._intro.setText(self.tr(
            "Hypothetical: replays this token's {n} stored candidates through the sampler "
            "with other settings, without the model.").format(n=len(trace.cand_ids)))
        self._update_header(node, trace)
        self._update_whatif(node, trace, chain, settings)
        self._update_branch_button()

    def _update_header(self, node: Node, trace: StepTrace) -> None:
        def chip(text: str, bg: QColor) -> str:
            return (f'<span style="background-color:{bg.name()}; color:{text_on(bg).name()}">'
                    f"&nbsp;{html.escape(text)}&nbsp;</span>")

        token = html.escape(token_label(trace.piece))
        lines = [
            f'<span style="font-size:x-large"><b>{token}</b></span>',
            self.tr("token {i} of {n} · id {id}").format(
                i=trace.index + 1, n=len(node.traces), id=trace.token),
            self.tr("p {p} · rank {rank} · entropy {h}").format(
                p=chip(percent(trace.p_model), prob_color(trace.p_model)), rank=trace.rank,
                h=chip(self.tr("{bits:.2f} bits").format(bits=trace.entropy),
                       entropy_color(trace.entropy))),
            self.tr("drawn with p {p} from the final distribution").format(
                p=percent(trace.p_sample)),
        ]
        if is_remote(trace):  # the server's probabilities; no id, entropy estimated
            rt, k = self.remote_texts, len(trace.cand_ids)
            lines[1] = rt.position(trace.index + 1, len(node.traces))
            lines[2] = self.tr("p {p} · rank {rank} · entropy {h}").format(
                p=chip(percent(trace.p_model), prob_color(trace.p_model)), rank=trace.rank,
                h=chip(rt.entropy(trace.entropy, k), entropy_color(trace.entropy)))
            lines[3] = rt.drawn(trace.p_sample)
        self.header.setText("<br>".join(lines))
        self.header.setToolTip(self.tr(
            "p: the model's probability of this token (softmax over the whole vocabulary). "
            "rank: its place among all tokens. entropy: how spread out the model's "
            "distribution was, in bits (0 = certain)."))

    def _update_whatif(
        self, node: Node, trace: StepTrace, chain: Replay, settings: SamplerSettings
    ) -> None:
        used = node.settings or SamplerSettings()
        changed = any(getattr(settings, k) != getattr(used, k) for k in self.spins)
        final = chain.final
        p = final.probs()
        where = np.nonzero(final.ids == trace.token)[0]
        p_now = float(p[where[0]]) if where.size else 0.0
        best = int(final.ids[int(np.argmax(p))]) if len(final) else trace.token
        parts = []
        if changed:
            color = warning_color(self.palette()).name()
            parts.append(f'<b style="color:{color}">'
                         + self.tr("Hypothetical settings (not the ones used).") + "</b>")
        else:
            parts.append(self.tr("The settings this reply was sampled with."))
        parts.append(self.tr("Produced token: p {p} in the final distribution; {n} candidates "
                             "left; most likely “{best}”.").format(
            p=percent(p_now), n=len(final), best=html.escape(self._label(best, trace))))
        if self._recorded and trace.cand_cut is not None:
            parts.append(self.tr("Kept and cut as recorded while generating."))
            if not chain.exact:
                parts.append(self.tr("Stage probabilities are approximate: only the {n} "
                                     "stored candidates are known.").format(
                    n=len(trace.cand_ids)))
        elif not chain.exact:
            parts.append(self.tr("Approximate: a cut could fall beyond the {n} stored "
                                 "candidates that are replayed.").format(n=len(trace.cand_ids)))
        if is_remote(trace):
            parts.insert(0, self.remote_texts.whatif_note(len(trace.cand_ids)))
        self.whatif_status.setText("<br>".join(parts))
        self.reset_button.setEnabled(changed)

    def _update_branch_button(self) -> None:
        token = self.chart.selected_token()
        rows = {r.token: r for r in self.chart.rows}
        if token is None or token not in rows:
            self.branch_button.setText(self.tr("Continue from here with…"))
            self.branch_button.setEnabled(False)
            return
        self.branch_button.setText(self.chart.branch_text(rows[token]))
        self.branch_button.setEnabled(True)

    def _branch_selected(self) -> None:
        token = self.chart.selected_token()
        if token is not None:
            self._branch(token)

    def _branch(self, token: int) -> None:
        if self._node is not None and self._index >= 0:
            self.branch_requested.emit(self._node.id, self._index, token)
