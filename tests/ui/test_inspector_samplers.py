"""The inspector shows what the newer samplers cut: DRY's matches, XTC's coin and cut,
the grammar's mask — and the Settings dialog can turn them on."""

from __future__ import annotations

from desktop.core.conversation import Node
from desktop.core.generation import generate
from desktop.core.sampling import STAGE_NAMES, SamplerSettings
from desktop.ui.panels import InspectorPanel

XTC, DRY = STAGE_NAMES.index("xtc"), STAGE_NAMES.index("dry")


def test_the_inspector_shows_a_dry_and_an_xtc_cut(qtbot, tiny_engine) -> None:
    s = SamplerSettings(seed=3, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0,
                        dry_multiplier=2.0, dry_allowed_length=1, xtc_probability=1.0,
                        xtc_threshold=0.01)
    # a raw prompt that repeats itself (a chat template's "\n" would be a DRY breaker)
    prompt = tiny_engine.tokenize("the cat sat on the mat. the cat sat on the mat. the cat",
                                  add_bos=True)
    done = list(generate(tiny_engine, prompt, s, max_tokens=24))[-1]
    node = Node(id=2, parent=1, role="assistant", content=done.text, settings=s)
    node.traces = done.traces
    panel = InspectorPanel()
    qtbot.addWidget(panel)
    panel.resize(360, 900)
    panel.show()
    panel.set_piece_fn(tiny_engine.piece)

    xtc_steps = [i for i, t in enumerate(node.traces) if t.notes and t.notes.get("xtc_applied")
                 and (t.cand_cut == XTC).any()]
    assert xtc_steps, "XTC applied and cut something at some step"
    panel.show_token(node, xtc_steps[0])
    titles = panel.strip.titles
    assert "XTC" in titles and "DRY" in titles  # the strip shows the stages that are on
    col = titles.index("XTC")
    assert any(r.cut == col for r in panel.chart.rows)  # rows cut by XTC, as recorded
    panel.strip.set_current(col)
    assert "coin said: apply" in panel.note.text()

    dry_steps = [i for i, t in enumerate(node.traces) if t.notes and t.notes.get("dry")]
    assert dry_steps, "DRY matched a repetition at some step"
    panel.show_token(node, dry_steps[0])
    panel.strip.set_current(panel.strip.titles.index("DRY"))
    assert "would repeat" in panel.note.text()


def test_settings_turn_on_dry_xtc_mirostat_and_a_grammar(qtbot, tmp_path) -> None:
    from PySide6.QtCore import QSettings

    from desktop.ui.settings_dialog import SettingsDialog
    from desktop.ui.settings_store import SettingsStore

    store = SettingsStore(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    dialog = SettingsDialog(store, gpu_offload=False)
    qtbot.addWidget(dialog)
    dialog.fields["dry_multiplier"].setValue(0.8)
    dialog.fields["xtc_probability"].setValue(0.5)
    dialog.advanced.mirostat.setCurrentIndex(2)
    dialog.advanced.grammar.setPlainText('root ::= "yes" | "no"')
    s = dialog.sampler_fields()
    assert (s.dry_multiplier, s.xtc_probability, s.mirostat) == (0.8, 0.5, 2)
    assert s.grammar == 'root ::= "yes" | "no"' and s.check() is s
    assert dialog.fields["repeat_penalty"].minimum() > 0  # 0 would divide by zero
    schema = tmp_path / "s.json"
    schema.write_text('{"type": "object", "properties": {"a": {"type": "integer"}}}')
    assert dialog.advanced.load_schema(str(schema))
    assert "root ::=" in dialog.advanced.grammar.toPlainText()
