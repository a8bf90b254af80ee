"""HTML to text: trafilatura's main-text extraction with its metadata, and a fallback that never fails.

trafilatura runs with ``favor_precision`` because a missed sidebar costs more downstream (false event
links) than a missed paragraph. Paragraphs come out one per line, which is what the line-based
boilerplate rules expect. Pathological pages (10,000 nested elements, broken markup) make lxml give up;
we then strip tags with regular expressions and say so in ``meta["html_note"]``.
"""

from __future__ import annotations

import html as html_lib
import logging
import re
from typing import Any

log = logging.getLogger(__name__)

_DROP_BLOCKS = re.compile(r"<(script|style|noscript|template|svg|head)\b.*?</\1\s*>", re.S | re.I)
_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_BLOCK_TAGS = re.compile(r"</?(p|div|br|h[1-6]|li|tr|article|section|blockquote|header|footer|ul|ol|table)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]{0,2000}>")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.S | re.I)


def html_to_text(markup: str, url: str | None = None) -> tuple[str, dict[str, Any]]:
    """Main text (one paragraph per line) and metadata (title, date, sitename, url; notes on fallbacks)."""
    meta: dict[str, Any] = {}
    try:
        import trafilatura

        document = trafilatura.bare_extraction(
            markup,
            url=url,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            with_metadata=True,
            deduplicate=False,
        )
    except Exception as exc:  # any parser failure on hostile markup must degrade, never abort a batch
        document = None
        meta["html_note"] = f"trafilatura failed ({type(exc).__name__}); tags stripped instead"
    if document is not None and (document.text or "").strip():
        for key in ("title", "date", "sitename", "url", "author", "description"):
            value = getattr(document, key, None)
            if value:
                meta[key] = str(value)
        return document.text, meta
    meta.setdefault("html_note", "trafilatura found no main text; tags stripped instead")
    title = _TITLE.search(markup[:200_000])
    if title:
        meta["title"] = html_lib.unescape(_TAG.sub("", title.group(1))).strip()
    return strip_tags(markup), meta


def strip_tags(markup: str) -> str:
    """Tag soup to text with regexes only: immune to nesting depth, linear in the input size."""
    text = _COMMENTS.sub(" ", markup)
    text = _DROP_BLOCKS.sub(" ", text)
    text = _BLOCK_TAGS.sub("\n", text)
    text = _TAG.sub(" ", text)
    return html_lib.unescape(text)
