"""The Step view (单字接龙 by hand): one token at a time, chosen by the sampler or by you.

Keys: Space samples, 1–9 take that candidate, Backspace undoes, Enter in the text field
appends what was typed (tokenized as plain text, token by token). The model runs off the
UI thread (``Lenses.run``): starting evaluates the prompt (reusing the chat's KV cache
where it can: on a large model that may take seconds), each step evaluates its token and
computes the next candidates; meanwhile the keys wait and the window stays responsive.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.core.conversation import Node
from desktop.core.errors import TokenscopeError
from desktop.core.sampling import SamplerSettings
from desktop.core.stepper import Stepper
from desktop.core.trace import StepTrace
from desktop.ui.heat import prob_color
from desktop.ui.lenses.common import Lenses
from desktop.ui.panels.inspector import InspectorPanel


class StepView(QWidget):
    """Step through a reply: the next-token candidates (the inspector's bars and sampler
    stages), the text so far (forced tokens underlined), and the keys to go on."""

    kept = Signal(object)  #: the reply node made from the steps (a new branch)

    def __init__(self, lenses: Lenses, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.lenses = lenses
        self.stepper: Stepper | None = None
        self._parent_id: int | None = None
        self._branched_at: int | None = None
        self._node = Node(-1, "assistant", "", None)  # what the inspector shows

        self.prompt = QLineEdit()
        self.prompt.setPlaceholderText(self.tr("A new prompt to step through…"))
        self.start_button = QPushButton(self.tr("Start"))
        self.from_reply = QPushButton(self.tr("From the selected token"))
        self.from_reply.setToolTip(self.tr(
            "Step on from the token selected in the chat: the reply's tokens before it stay."))
        self.reply = QTextBrowser()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.inspector = InspectorPanel()
        self.inspector.whatif.hide()  # step mode samples with the settings it started with
        self.inspector.branch_button.hide()  # a click (or 1–9) on a candidate appends it
        self.typed = QLineEdit()
        self.typed.setPlaceholderText(self.tr("Type a token or word and press Enter to force it"))
        self.sample_button = QPushButton(self.tr("Sample (Space)"))
        self.undo_button = QPushButton(self.tr("Undo (Backspace)"))
        self.keep_button = QPushButton(self.tr("Keep as a branch"))
        self.help = QLabel(self.tr("Space: let the sampler draw · 1–9: take that candidate · "
                                   "Backspace: undo · type text and Enter: force it"))
        self.help.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.prompt, 1)
        top.addWidget(self.start_button)
        top.addWidget(self.from_reply)
        keys = QHBoxLayout()
        for w in (self.sample_button, self.undo_button, self.typed, self.keep_button):
            keys.addWidget(w)
        keys.setStretch(2, 1)
        left = QWidget()
        lbox = QVBoxLayout(left)
        lbox.addWidget(self.reply, 1)
        lbox.addWidget(self.status)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(self.inspector)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        box = QVBoxLayout(self)
        box.addLayout(top)
        box.addWidget(split, 1)
        box.addLayout(keys)
        box.addWidget(self.help)

        self.start_button.clicked.connect(self.start_from_prompt)
        self.prompt.returnPressed.connect(self.start_from_prompt)
        self.from_reply.clicked.connect(self.start_from_selection)
        self.sample_button.clicked.connect(self.sample)
        self.undo_button.clicked.connect(self.undo)
        self.keep_button.clicked.connect(self.keep)
        lenses.busy_changed.connect(self._enable)
        self.typed.returnPressed.connect(self.force_typed)
        self.inspector.branch_requested.connect(lambda _n, _i, token: self.choose(token))
        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in (("Space", self.sample), ("Backspace", self.undo)):
            sc = QShortcut(QKeySequence(key), self, context=ctx)
            sc.activated.connect(slot)
        for n in range(1, 10):
            sc = QShortcut(QKeySequence(str(n)), self, context=ctx)
            sc.activated.connect(lambda n=n: self.pick(n))
        self._update()

    # --- starting -----------------------------------------------------------------------

    def start_from_prompt(self) -> None:
        """A fresh reply to the prompt typed above, in the chat template (with the chat's
        system prompt), as a new conversation turn when kept."""
        why = self.lenses.why_not()
        state = self.lenses.state
        if why is None and state.session is None:
            why = self.tr("Load a model first.")
        if why:
            self.status.setText(why)
            return
        assert state.session is not None
        from desktop.core.chat import Message

        msgs = [*state.current.messages(), Message("user", self.prompt.text())]
        session = state.session
        self._begin(lambda: session.plan(msgs).tokens, None, None)

    def start_from_selection(self) -> None:
        """Step on from the token selected in the chat (a branch of that reply there)."""
        state = self.lenses.state
        why = self.lenses.why_not()
        if why is None and (state.selected is None or state.inspected is None):
            why = self.tr("Select a token of a reply in the chat first.")
        if why:
            self.status.setText(why)
            return
        node, index = state.inspected, state.selected[1]  # type: ignore[index]
        assert node is not None
        self._begin(lambda: list(node.prompt_tokens), node.parent, index,
                    prefix=node.traces[:index], settings=node.settings)

    def _begin(self, prompt_fn: Callable[[], list[int]], parent: int | None,
               branched_at: int | None, prefix: list[StepTrace] | None = None,
               settings: SamplerSettings | None = None) -> None:
        state = self.lenses.state
        assert state.engine is not None and state.session is not None
        try:
            prompt = prompt_fn()
            self.stepper = Stepper(state.engine, prompt, settings or state.session.settings,
                                   prefix=prefix)
        except TokenscopeError as exc:
            self.status.setText(str(exc))
            return
        self._parent_id, self._branched_at = parent, branched_at
        self._node = Node(-1, "assistant", "", None, settings=self.stepper.settings)
        self.inspector.set_piece_fn(state.engine.piece)
        self._update()
        self.status.setText(self.tr("Reading the prompt…"))
        self._work(None)
        self.typed.setFocus()
        self.setFocus()

    # --- stepping ---------------------------------------------------------------------

    def _act(self, fn: Callable[[], object]) -> None:
        if self.stepper is None:
            self.status.setText(self.tr("Start first: type a prompt, or select a token in "
                                        "the chat and step on from there."))
            return
        why = self.lenses.why_not()
        if why:
            self.status.setText(why)
            return
        self._work(fn)

    def _work(self, fn: Callable[[], object] | None) -> None:
        """``fn`` (a step, or nothing) and then the next step's candidates, computed off
        the UI thread; shown when done."""
        stepper = self.stepper
        assert stepper is not None

        def job(_report: Callable[[str], None]) -> None:
            if fn is not None:
                fn()
            if not stepper.finished:
                stepper.preview()  # the model runs here, not in _update

        self.lenses.run(job, self._worked, self._failed)

    @Slot(object)
    def _worked(self, _result: object) -> None:
        self._update()

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._update()
        self.status.setText(message)

    @Slot(bool)
    def _enable(self, busy: bool) -> None:
        on = self.stepper is not None and not busy
        for w in (self.sample_button, self.undo_button, self.typed, self.keep_button):
            w.setEnabled(on)
        self.start_button.setEnabled(not busy)
        self.from_reply.setEnabled(not busy)

    def sample(self) -> None:
        self._act(lambda: self.stepper.sample())  # type: ignore[union-attr]

    def choose(self, token: int) -> None:
        self._act(lambda: self.stepper.choose(token))  # type: ignore[union-attr]

    def pick(self, n: int) -> None:
        """Take the ``n``-th most likely candidate (1-based)."""
        st = self.stepper
        if st is not None and st.ready and not st.finished and not self.lenses.busy:
            ids = st.preview().cand_ids
            if n <= len(ids):
                self.choose(int(ids[n - 1]))

    def force_typed(self) -> None:
        text = self.typed.text()
        if text:
            self._act(lambda: self.stepper.force_text(text))  # type: ignore[union-attr]
            self.typed.clear()
            self.setFocus()

    def undo(self) -> None:
        self._act(lambda: self.stepper.undo())  # type: ignore[union-attr]

    def keep(self) -> None:
        """The steps become a reply of the conversation (a new branch), saved with it."""
        st, state = self.stepper, self.lenses.state
        if st is None or not st.steps:
            self.status.setText(self.tr("There is nothing to keep yet."))
            return
        conv = state.current
        parent = self._parent_id
        if self._branched_at is None:
            parent = conv.add(conv.leaf, "user", self.prompt.text()).id
        node = st.to_branch(conv, parent, branched_at=self._branched_at)
        self.kept.emit(node)
        self.status.setText(self.tr("Kept as a new version of the reply."))

    # --- showing ----------------------------------------------------------------------

    def _update(self) -> None:
        """Show the steps and, once computed (``Stepper.ready``), the next candidates."""
        st = self.stepper
        self._enable(self.lenses.busy)
        if st is None:
            self.reply.setHtml(f"<i>{html.escape(self.tr('Nothing yet.'))}</i>")
            self.inspector.clear()
            return
        spans = []
        for s in st.steps:
            c = prob_color(s.trace.p_model).name()
            deco = "text-decoration: underline;" if s.forced else ""
            tip = html.escape(f"p={s.trace.p_model:.4f} rank {s.trace.rank}")
            spans.append(f'<span title="{tip}" style="background:{c};{deco}">'
                         f"{html.escape(s.trace.text).replace(chr(10), '↵<br>')}</span>")
        self.reply.setHtml("".join(spans) + "<b>▌</b>")
        n = len(st.steps)
        if st.finished:
            self.inspector.clear()
            self.status.setText(self.tr("%1 tokens · the reply has ended (Backspace undoes)")
                                .replace("%1", str(n)))
            return
        if not st.ready:  # being computed, or failed: nothing to show yet
            self.inspector.clear()
            return
        preview = st.preview()
        self._node.traces = [*st.traces, preview]
        self.inspector.show_token(self._node, n)
        forced = sum(s.forced for s in st.steps)
        self.status.setText(
            self.tr("%1 tokens (%2 chosen by you) · seed %3 · the sampler would draw %4 now")
            .replace("%1", str(n)).replace("%2", str(forced)).replace("%3", str(st.seed))
            .replace("%4", repr(preview.text)))
