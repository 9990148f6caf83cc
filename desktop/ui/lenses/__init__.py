"""The lenses: step mode, score, compare (views over desktop.core.stepper/scoring/compare)."""
