"""llama.cpp's random draws, bit for bit: ``std::mt19937`` and the libstdc++ distributions
its samplers use, so that a random stage (XTC's coin, mirostat's draw) given the same seed
makes the same choices as llama.cpp's own sampler.

* ``std::mt19937(seed)``: numpy's MT19937 with the reference ``init_genrand`` seeding
  (``_legacy_seeding``), one 32-bit output per ``random_raw`` call.
* ``std::uniform_real_distribution<float>(0, 1)`` (XTC): libstdc++'s
  ``generate_canonical<float, 24>`` takes one 32-bit output, ``x / 2^32`` in float, and
  maps 1.0 to the float just below it.
* ``std::discrete_distribution<int>`` (``llama_sample_dist``, mirostat): the weights are
  normalised in double, their partial sums form the CDF (last entry forced to 1), and one
  ``generate_canonical<double, 53>`` (two 32-bit outputs: ``(x0 + x1·2^32) / 2^64``) is
  looked up with ``lower_bound``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

#: llama.cpp's LLAMA_DEFAULT_SEED: "pick a random seed"
DEFAULT_SEED = 0xFFFFFFFF


class LlamaRng:
    """A ``std::mt19937`` seeded like llama.cpp's samplers (``get_rng_seed``)."""

    def __init__(self, seed: int) -> None:
        if seed == DEFAULT_SEED or seed < 0:
            seed = int(np.random.SeedSequence().generate_state(1)[0])
        self.seed = seed & 0xFFFFFFFF
        self._bg = np.random.MT19937()
        self._bg._legacy_seeding(self.seed)

    def raw(self) -> int:
        return int(self._bg.random_raw())

    def uniform_float(self) -> float:
        """``std::uniform_real_distribution<float>(0.0f, 1.0f)(rng)``, as a Python float."""
        x = np.float32(self.raw()) / np.float32(4294967296.0)
        if x >= np.float32(1.0):
            x = np.nextafter(np.float32(1.0), np.float32(0.0))
        return float(x)

    def discrete(self, weights: npt.NDArray[np.float32]) -> int:
        """``std::discrete_distribution<int>(weights)(rng)``: an index into ``weights``."""
        w = weights.astype(np.float64)
        total = float(np.cumsum(w)[-1])  # std::accumulate: left to right, not pairwise
        cdf = np.cumsum(w / total)
        cdf[-1] = 1.0
        x0, x1 = self.raw(), self.raw()
        u = (float(x0) + float(x1) * 4294967296.0) / 18446744073709551616.0
        if u >= 1.0:
            u = float(np.nextafter(1.0, 0.0))
        return int(np.searchsorted(cdf, u, side="left"))
