"""Shared fixtures. Data in ../shared is optional: tests that need it skip with the reason."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("STORYLINE_SHARED", ROOT.parent / "shared"))

os.environ.setdefault("OMP_NUM_THREADS", "1")


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: this test needs the shared benchmark data (../shared beside the project)")
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _require(SHARED)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return _require(SHARED / "seeds")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _require(SHARED / "data")


SAMPLES = ROOT / "src" / "storyline" / "samples"


@pytest.fixture(scope="session")
def sample_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store built once per test session by the real pipeline (real models) from the bundled sample corpus."""
    from storyline.config import Config
    from storyline.pipeline import run_pipeline
    from storyline.store import SQLiteStore

    path = tmp_path_factory.mktemp("sample") / "sample.db"
    with SQLiteStore(path) as store:
        run_pipeline([SAMPLES / "corpus"], store, Config())
    return path


@pytest.fixture(scope="session")
def seeds_store_path(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The five seed articles through the real pipeline, once per session."""
    from storyline.config import Config
    from storyline.pipeline import run_pipeline
    from storyline.store import SQLiteStore

    path = tmp_path_factory.mktemp("seeds") / "seeds.db"
    with SQLiteStore(path) as store:
        run_pipeline([p for p in sorted(seeds_dir.glob("*.txt"))], store, Config())
    return path
