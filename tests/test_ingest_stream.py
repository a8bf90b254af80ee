"""Memory stays flat on huge inputs: 100-200 MB files are read in a child process whose peak RSS is checked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

READER = """
import sys
from storyline.ingest import IngestStats, iter_documents
from storyline.model import RawDocument
stats = IngestStats()
last = None
for item in iter_documents(sys.argv[1:], stats=stats):
    last = item.doc_id if isinstance(item, RawDocument) else last
# VmHWM is this process image's own peak; ru_maxrss would carry the forking parent's peak across exec
peak_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(stats.documents, stats.rejects, peak_kb // 1024, last)
"""
PEAK_MB = 90  # the interpreter and storyline take ~30 MB; holding any of these files whole would exceed it


def _read_in_child(*paths: Path) -> tuple[int, int, int, str]:
    result = subprocess.run(
        [sys.executable, "-c", READER, *map(str, paths)], capture_output=True, text=True, timeout=600, check=True
    )
    documents, rejects, peak_mb, last_id = result.stdout.split()
    return int(documents), int(rejects), int(peak_mb), last_id


def _article(number: int) -> str:
    return f"Article {number}: the Kremlin spokesman said talks were possible. " * 150  # ~10 KB


@pytest.mark.slow
def test_200_mb_jsonl_streams_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    count = 0
    with open(path, "w") as handle:
        while handle.tell() < 200 * 2**20:
            handle.write(json.dumps({"id": f"j{count}", "text": _article(count)}) + "\n")
            count += 1
        handle.write('{"broken": \n')  # a bad last line is still reported
    documents, rejects, peak_mb, last_id = _read_in_child(path)
    assert (documents, rejects, last_id) == (count, 1, f"j{count - 1}")
    assert peak_mb < PEAK_MB


@pytest.mark.slow
def test_100_mb_csv_and_json_array_stream_in_bounded_memory(tmp_path: Path) -> None:
    csv_path, json_path = tmp_path / "huge.csv", tmp_path / "huge.json"
    count = 0
    with open(csv_path, "w") as csv_handle, open(json_path, "w") as json_handle:
        csv_handle.write("id,text\n")
        json_handle.write("[\n")
        while csv_handle.tell() < 100 * 2**20:
            text = _article(count)
            csv_handle.write(f'c{count},"{text}\nsecond paragraph"\n')
            json_handle.write(("," if count else "") + json.dumps({"id": f"a{count}", "text": text}) + "\n")
            count += 1
        json_handle.write("]\n")
    documents, rejects, peak_mb, last_id = _read_in_child(csv_path, json_path)
    assert (documents, rejects, last_id) == (2 * count, 0, f"a{count - 1}")
    assert peak_mb < PEAK_MB
