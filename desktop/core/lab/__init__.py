"""The lab: classic LLM experiments run on the loaded model (headless; no Qt).

One module per experiment — ``needle``, ``numbers``, ``repetition``, ``tokenizers`` — each
with a ``run_*`` function taking progress and cancel callbacks (``common``) and returning
a result with ``to_dict()`` (JSON, what the store keeps) and ``rows()`` (CSV).
"""
