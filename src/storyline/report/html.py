"""The static HTML report: one self-contained file to mail to a colleague.

CSS, the small script and the SVG charts are inlined; nothing is fetched when the file is opened (a
Content-Security-Policy meta tag forbids it, and also stops any script but ours should escaping ever
fail). The views are the web app's, rendered from the same queries and template macros, with links
turned into in-page anchors. The output depends only on the store's content (no timestamps), so two
runs over the same data give byte-identical reports.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from storyline.model import day_label, stable_id
from storyline.store.sqlite import SQLiteStore
from storyline.web import charts, queries, stories
from storyline.web.app import STATIC_DIR, TEMPLATE_DIR, mark_snippet, path_id, safe_url
from storyline.web.outlets import OutletTable

REPORT_TEMPLATES = Path(__file__).parent / "templates"
MAX_STORIES = 100
MAX_EVENTS_PER_STORY = 60
MAX_OTHER_EVENTS = 200
MAX_SPEAKERS = 40
MAX_OUTLETS = 50


def anchor(kind: str, ident: str) -> str:
    """An HTML id for any record id (entity keys hold spaces and colons, which make poor fragments)."""
    return stable_id(kind[:1], ident)


def _environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(REPORT_TEMPLATES)), FileSystemLoader(str(TEMPLATE_DIR))]),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters.update(safe_url=safe_url, snippet=mark_snippet, pid=path_id, day=day_label)
    env.globals.update(sparkline=charts.sparkline, timeline=charts.timeline, anchor=anchor)
    return env


def build_report_data(store: SQLiteStore) -> dict[str, Any]:
    """Everything the report shows, as plain data (also handy for tests)."""
    conn = store.conn
    counts = {name: int(conn.execute(f"SELECT COUNT(*) FROM {name}").fetchone()[0])
              for name in ("articles", "events", "stories")}
    listing = stories.list_stories(conn, page=1, sort="rank", page_size=MAX_STORIES)
    shown_stories = []
    for item in listing["items"]:
        story = stories.story_detail(conn, item["id"], page_size=MAX_EVENTS_PER_STORY)
        if story is None:
            continue
        story["per_day"] = item["per_day"]
        story["size"] = item["size"]
        story["details"] = [d for e in story["events"] if (d := queries.event_detail(conn, e["id"]))]
        shown_stories.append(story)
    other_ids = [r[0] for r in conn.execute(
        "SELECT id FROM events WHERE story_id IS NULL OR story_id NOT IN (SELECT id FROM stories) "
        "ORDER BY size DESC, start, id LIMIT ?", (MAX_OTHER_EVENTS,))]
    other_events = [d for eid in other_ids if (d := queries.event_detail(conn, eid))]
    speaker_keys = [r[0] for r in conn.execute(
        "SELECT speaker, COUNT(*) AS n FROM quotes WHERE speaker IS NOT NULL GROUP BY speaker "
        "ORDER BY n DESC, speaker LIMIT ?", (MAX_SPEAKERS,))]
    speakers = [d for key in speaker_keys if (d := queries.entity_detail(conn, key, limit=50))]
    table = OutletTable.load(conn)
    outlets = [table.profiles[name].detail() for name in table.order("articles")[:MAX_OUTLETS]]
    truncated = listing["total"] > len(shown_stories) or counts["events"] > sum(
        len(s["details"]) for s in shown_stories) + len(other_events)
    return {"counts": counts, "stories": shown_stories, "other_events": other_events, "speakers": speakers,
            "outlets": outlets, "n_outlets": len(table.profiles), "truncated": truncated}


def render_report(store: SQLiteStore) -> str:
    """The report as one HTML string."""
    data = build_report_data(store)
    shown = {
        "event": {e["id"] for s in data["stories"] for e in s["details"]} | {e["id"] for e in data["other_events"]},
        "entity": {p["key"] for p in data["speakers"]},
        "story": {s["id"] for s in data["stories"]},
    }

    def url(kind: str, ident: str) -> str | None:
        return "#" + anchor(kind, ident) if ident in shown.get(kind, ()) else None

    js = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    script_hash = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    env = _environment()
    env.globals["url"] = url
    template = env.get_template("report.html")
    return template.render(
        **data, css=Markup((STATIC_DIR / "style.css").read_text(encoding="utf-8").replace("</", "<\\/")),
        js=Markup(js), csp=csp, event_href=lambda eid: url("event", eid) or "#",
    )


def write_report(store: SQLiteStore, out: str | Path) -> Path:
    """Write the self-contained report to ``out`` (folders are created) and return its path."""
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(store), encoding="utf-8")
    return path
