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
