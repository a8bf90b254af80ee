"""Spark backend: the local engine's stage functions over partitions; its events from global statistics and
average linkage per connected component (:mod:`~storyline.scale.linkage`), or the pair graph as joins.

Install with ``pip install storyline[spark]`` (pyspark, pyarrow; a Java 17+ runtime). Nothing here imports
pyspark until it is called, so ``import storyline`` stays light. See ``docs/spark.md``.

>>> from storyline.scale import run_spark                                        # doctest: +SKIP
>>> run_spark(["corpus/"], Config(fast=True), out_dir="out", master="local[2]")  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["SparkSummary", "load_into_store", "run_spark", "spark_session"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from storyline.scale import load, spark

        return getattr(load if name == "load_into_store" else spark, name)
    raise AttributeError(name)
