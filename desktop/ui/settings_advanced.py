"""The Settings dialog's "More samplers" tab: the rest of llama.cpp's sampler family (DRY,
top-nσ, XTC, dynamic temperature, mirostat) and a grammar (GBNF, or a JSON schema converted
to GBNF). Ranges come from ``desktop.core.limits``, so a field cannot hold a value the
sampler would refuse."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.core.grammar import GrammarError, gbnf_from_json_schema
from desktop.core.limits import LIMITS


class AdvancedSamplingTab(QWidget):
    """Fields named like ``SamplerSettings``'s; ``fields`` joins the dialog's own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: dict[str, QSpinBox | QDoubleSpinBox] = {}
        form = QFormLayout()

        def add(name: str, label: str, step: float, tip: str) -> None:
            lim = LIMITS[name]
            box: QSpinBox | QDoubleSpinBox
            if lim.integer:
                box = QSpinBox(self)
                box.setRange(int(lim.low), int(min(lim.high, 2**31 - 1)))
            else:
                box = QDoubleSpinBox(self)
                box.setDecimals(3)
                box.setRange(lim.low, lim.high)
                box.setSingleStep(step)
            box.setToolTip(tip)
            self.fields[name] = box
            form.addRow(label, box)

        add("dry_multiplier", self.tr("DRY multiplier:"), 0.1,
            self.tr("Push down tokens that would continue a repetition (0: off; 0.8 is usual)."))
        add("dry_base", self.tr("DRY base:"), 0.05,
            self.tr("How fast the push grows with the repetition's length."))
        add("dry_allowed_length", self.tr("DRY allowed length:"), 1,
            self.tr("Repetitions up to this many tokens are left alone."))
        add("dry_penalty_last_n", self.tr("DRY window:"), 1,
            self.tr("How many recent tokens DRY looks at (-1: the whole context)."))
        add("top_n_sigma", self.tr("Top-nσ:"), 0.1,
            self.tr("Keep tokens within n standard deviations of the best logit (-1: off)."))
        add("xtc_probability", self.tr("XTC probability:"), 0.05,
            self.tr("How often XTC removes the top choices (0: off)."))
        add("xtc_threshold", self.tr("XTC threshold:"), 0.01,
            self.tr("Tokens above this probability count as top choices (above 0.5: off)."))
        add("dynatemp_range", self.tr("Dynamic temperature ±:"), 0.05,
            self.tr("Let the temperature move with the entropy by up to this much (0: off)."))
        add("dynatemp_exponent", self.tr("Dynamic temperature exponent:"), 0.1,
            self.tr("How the entropy maps to the temperature."))
        self.mirostat = QComboBox(self)
        self.mirostat.addItems([self.tr("off"), self.tr("Mirostat 1"), self.tr("Mirostat 2")])
        self.mirostat.setToolTip(self.tr("Mirostat replaces the other samplers: it keeps the "
                                         "surprise of the text near a target."))
        form.addRow(self.tr("Mirostat:"), self.mirostat)
        add("mirostat_tau", self.tr("Mirostat target (bits):"), 0.5,
            self.tr("The surprise mirostat aims for, in bits."))
        add("mirostat_eta", self.tr("Mirostat learning rate:"), 0.01,
            self.tr("How fast mirostat corrects itself."))

        self.grammar = QPlainTextEdit(self)
        self.grammar.setObjectName("grammarEdit")
        self.grammar.setPlaceholderText(self.tr('GBNF, e.g. root ::= "yes" | "no"'))
        self.grammar.setToolTip(self.tr("The reply must follow this grammar; the inspector "
                                        "shows how many tokens it masked at each step."))
        schema = QPushButton(self.tr("From JSON schema…"), self)
        schema.clicked.connect(self._from_schema)
        clear = QPushButton(self.tr("Clear"), self)
        clear.clicked.connect(self.grammar.clear)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Grammar:"), self), 1)
        row.addWidget(schema)
        row.addWidget(clear)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.grammar, 1)

    def _from_schema(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, self.tr("JSON schema"), "", self.tr("JSON schema (*.json);;All files (*)"))
        if path:
            self.load_schema(path)

    def load_schema(self, path: str) -> bool:
        """Put the GBNF of the JSON schema in ``path`` in the grammar field."""
        try:
            with open(path, encoding="utf-8") as f:
                self.grammar.setPlainText(gbnf_from_json_schema(f.read()))
            return True
        except (OSError, UnicodeDecodeError, GrammarError) as exc:
            QMessageBox.warning(self, self.tr("JSON schema"), str(exc))
            return False

    def set_values(self, values: dict[str, object]) -> None:
        mirostat = values.get("mirostat", 0)
        self.mirostat.setCurrentIndex(mirostat if isinstance(mirostat, int) else 0)
        self.grammar.setPlainText(str(values.get("grammar", "") or ""))

    def values(self) -> dict[str, object]:
        return {"mirostat": self.mirostat.currentIndex(),
                "grammar": self.grammar.toPlainText().strip()}
