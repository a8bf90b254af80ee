"""Issue 7 §3: the served app under concurrent load while another process writes to the same store.

Three processes share one SQLite file: ``storyline.web.app.serve`` (uvicorn), a writer adding article
batches through ``SQLiteStore.add_articles`` (what ``storyline ingest`` does), and this test, which keeps
50 connections busy for ``STORYLINE_LOAD_SECONDS`` (default 15) and requires zero errors. Latency
percentiles are printed and written to ``load.json`` in the test's tmp dir.
"""

# ruff: noqa: F811 - test parameters named web_db receive the fixture imported from test_web_fixtures
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storyline.store import SQLiteStore
from storyline.web.app import path_id
from test_web_fixtures import SampleIds, build_sample_store

CONCURRENCY = 50
SECONDS = float(os.environ.get("STORYLINE_LOAD_SECONDS", "15"))
ROOT = Path(__file__).resolve().parents[1]

WRITER = """
import sys, time
sys.path.insert(0, {tests!r})
from storyline.store import SQLiteStore
from test_web_fixtures import sample_articles
deadline = time.monotonic() + {seconds}
n = 0
with SQLiteStore({db!r}) as store:
    while time.monotonic() < deadline:
        batch = []
        for _ in range(20):
            n += 1
            article = sample_articles()["riga"]
            article.id, article.content_hash = f"load-{{n}}", f"load-hash-{{n}}"
            batch.append(article)
        store.add_articles(batch)
        time.sleep(0.02)
print(n)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _load(base: str, urls: list[str], seconds: float) -> tuple[list[float], list[str]]:
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def worker(offset: int) -> None:
            i = offset
            while time.monotonic() < deadline:
                url = urls[i % len(urls)]
                i += 1
                started = time.perf_counter()
                try:
                    response = await client.get(url)
                except httpx.HTTPError as exc:
                    errors.append(f"{url}: {type(exc).__name__}: {exc}")
                    continue
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors.append(f"{url}: HTTP {response.status_code} {response.text[:200]}")

        await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    return latencies, errors


@pytest.mark.slow
def test_served_app_under_load_while_a_writer_ingests(tmp_path: Path) -> None:
    ids: SampleIds = build_sample_store(tmp_path / "load.db")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", f"from storyline.web.app import serve; serve({str(ids.db)!r}, port={port})"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
    )
    writer = None
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(base + "/api/events", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
            time.sleep(0.1)
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER.format(tests=str(ROOT / "tests"), seconds=SECONDS, db=str(ids.db))],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
        )
        urls = ["/", f"/stories/{ids.story}", f"/events/{ids.events['E1']}", f"/events/{ids.events['E4']}",
                f"/articles/{ids.articles['rt']}", f"/entities/{path_id('per:dmitry peskov')}", "/search?q=Riga",
                "/api/events", "/api/search?q=flood"]
        latencies, errors = asyncio.run(_load(base, urls, SECONDS))
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    finally:
        for proc in (writer, server):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=20)
    latencies.sort()
    stats = {"requests": len(latencies), "errors": len(errors), "seconds": SECONDS, "concurrency": CONCURRENCY,
             "p50_ms": round(latencies[len(latencies) // 2] * 1000, 1),
             "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 1),
             "max_ms": round(latencies[-1] * 1000, 1), "articles_written": int(out.strip() or 0)}
    (tmp_path / "load.json").write_text(json.dumps(stats, indent=2), encoding="utf-8")
    print(f"\nload: {stats}")
    assert errors == [], errors[:5]
    assert stats["articles_written"] > 0, "the writer committed while the app was serving"
    with SQLiteStore(ids.db, readonly=True) as store:
        assert store.count_articles() == len(ids.articles) + stats["articles_written"]
