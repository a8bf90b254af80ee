"""Telegram as input: Desktop's exports, Telethon dumps and saved channel pages (``t.me/s/<channel>``).

Analysts of Russian and English news read Telegram channels as much as websites. Each source here becomes ordinary
records (:func:`storyline.ingest.records.record_to_document`): one article per post, the channel as outlet, a
forwarded post crediting its source, and what is not a post (service messages, a photo alone) reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from storyline.model import RawDocument, Reject

_TELEGRAM_CHATS = ("public_channel", "private_channel", "public_supergroup", "private_supergroup", "private_group",
                   "personal_chat", "bot_chat", "saved_messages")


def telegram_records(value: dict[str, Any]) -> list[dict[str, Any] | Reject] | None:
    """Telegram Desktop's export ("Export chat history" → result.json; "Export Telegram data" holds several under
    ``chats.list``) as records, or ``None`` when ``value`` is not one.

    A post's text is a string or a list of plain strings and formatted pieces (``{"type": "bold", "text": …}``),
    joined as written; the outlet is the chat's name, the id ``tg<chat id>-<message id>`` (message ids repeat
    across chats), a forwarded post credits its channel (``forwarded_from``). Service messages (a pin, a title
    change) and posts with no text (a photo alone) are reported, not read as articles.

    >>> export = {"name": "Kremlin Watch", "type": "public_channel", "id": 42, "messages": [
    ...     {"id": 7, "type": "message", "date": "2024-11-08T09:12:00", "from": "Kremlin Watch",
    ...      "forwarded_from": "TASS", "text": [{"type": "bold", "text": "Peskov:"}, " talks are possible."]}]}
    >>> record = telegram_records(export)[0]
    >>> record["id"], record["outlet"], record["text"], record["forwarded_from"]
    ('tg42-7', 'Kremlin Watch', 'Peskov: talks are possible.', 'TASS')
    """
    chats = value.get("chats")
    if isinstance(chats, dict) and isinstance(chats.get("list"), list):
        found = [telegram_records(chat) for chat in chats["list"] if isinstance(chat, dict)]
        return [post for posts in found if posts for post in posts] if any(f is not None for f in found) else None
    if not (isinstance(value.get("messages"), list) and value.get("type") in _TELEGRAM_CHATS):
        return None  # most values: a record, checked here for every one
    from storyline.ingest.records import _json_type  # records reads through this module
    chat, chat_id = value.get("name"), value.get("id")
    out: list[dict[str, Any] | Reject] = []
    for message in value["messages"]:
        if not isinstance(message, dict):
            out.append(Reject("", f"message is a JSON {_json_type(message)}, expected an object"))
            continue
        if message.get("type", "message") != "message":
            what = message.get("action") or message.get("type")
            out.append(_service(message, what))
            continue
        record = {key: item for key, item in message.items() if key not in ("text", "text_entities", "type")}
        record["text"] = _telegram_text(message.get("text"))
        if not record["text"].strip():
            media = next((key for key in ("photo", "file", "media_type", "sticker_emoji", "poll") if key in message),
                         None)
            out.append(Reject("", f"Telegram message {message.get('id')} has no text"
                                  + (f" ({str(message.get('media_type') or media).replace('_', ' ')} alone)"
                                     if media else "")))
            continue
        _set_post_id(record, chat_id, message)
        if chat:
            record["outlet"] = chat
        out.append(record)
    return out


def telethon_record(message: dict[str, Any]) -> dict[str, Any] | Reject:
    """A Telethon message dump (``message.to_dict()``, one per JSON line: ``{"_": "Message", "id", "peer_id",
    "date", "message", "fwd_from", …}``) as a record: its ``message`` is the text, the id ``tg<channel>-<id>`` as
    in Desktop exports, a forward credits the name it carries (``fwd_from.from_name``); service messages are
    reported. Telethon does not store the channel's name: name it with ``--field outlet=KEY`` if your dump adds it.

    >>> telethon_record({"_": "Message", "id": 7, "peer_id": {"_": "PeerChannel", "channel_id": 42},
    ...                  "date": "2024-11-08 09:12:00+00:00", "message": "Peskov: talks are possible.",
    ...                  "fwd_from": {"_": "MessageFwdHeader", "from_name": "TASS"}})["id"]
    'tg42-7'
    """
    if message.get("_") != "Message":
        what = (message.get("action") or {}).get("_") if isinstance(message.get("action"), dict) else None
        return _service(message, what or "service")
    peer = message.get("peer_id") if isinstance(message.get("peer_id"), dict) else {}
    chat = next((peer[key] for key in ("channel_id", "chat_id", "user_id") if key in peer), None)
    forward = message.get("fwd_from") if isinstance(message.get("fwd_from"), dict) else {}
    record = {key: item for key, item in message.items() if key not in ("_", "message", "fwd_from")}
    record["text"] = message.get("message") if isinstance(message.get("message"), str) else None
    _set_post_id(record, chat, message)
    if forward.get("from_name"):
        record["forwarded_from"] = forward["from_name"]
    return record


def _service(message: dict[str, Any], what: Any) -> Reject:
    return Reject("", f"Telegram service message {message.get('id')} ({what}): not a post")


def _set_post_id(record: dict[str, Any], chat: Any, message: dict[str, Any]) -> None:
    """``tg<chat id>-<message id>`` for exports and dumps alike: message ids repeat across chats."""
    if chat is not None and message.get("id") is not None:
        record["id"] = f"tg{chat}-{message['id']}"


def _telegram_text(text: Any) -> str:
    if isinstance(text, list):
        return "".join(piece if isinstance(piece, str) else str(piece.get("text", "")) if isinstance(piece, dict)
                       else "" for piece in text)
    return text if isinstance(text, str) else ""


_PAGE_MARK = re.compile(rb'class="tgme_widget_message[ "]')
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")  # lxml refuses a str that declares its encoding


def is_channel_page(sample: bytes) -> bool:
    """Whether an HTML file is a saved Telegram channel preview (``https://t.me/s/<channel>``)."""
    return _PAGE_MARK.search(sample) is not None and b"data-post=" in sample


def iter_channel_page(data: bytes, *, origin: str) -> Iterator[RawDocument | Reject]:
    """The posts of a saved ``t.me/s/<channel>`` page, oldest first as the page lists them: id ``tg-<channel>-<n>``,
    URL ``https://t.me/<channel>/<n>``, the time of its ``<time datetime>``, the channel's title as outlet, a
    "Forwarded from" name as the credited source; a post without text is reported with its URL. Saving the page
    again later adds only the new posts (re-ingest is idempotent per post). Raises
    :class:`~storyline.ingest.decode.UndecodableError` before any post when the bytes are no text."""
    from lxml import etree
    from lxml import html as lxml_html

    from storyline.ingest.decode import declared_html_charset, decode_bytes
    from storyline.ingest.records import record_to_document

    decoded = decode_bytes(data, declared=declared_html_charset(data))
    html, encoding = decoded.text, decoded.encoding

    try:
        tree = lxml_html.fromstring(_XML_DECLARATION.sub("", html, count=1))
    except (ValueError, etree.ParserError) as error:  # an empty or unparseable save
        yield Reject(origin, f"unreadable Telegram channel page: {error}")
        return
    title = (tree.xpath('string(//meta[@property="og:title"]/@content)')
             or tree.xpath('string(//*[contains(@class, "tgme_channel_info_header_title")])')).strip() or None
    for position, post in enumerate(tree.xpath('//div[@data-post and contains(@class, "tgme_widget_message")]'),
                                    start=1):
        channel, _, number = post.get("data-post", "").partition("/")
        url = f"https://t.me/{channel}/{number}"
        text_nodes = post.xpath('.//div[contains(@class, "tgme_widget_message_text")]')
        if not text_nodes:
            yield Reject(origin, f"Telegram post {url} has no text")  # its address, not its place: pages scroll
            continue
        node = text_nodes[-1]  # a reply quotes its parent's text first
        for br in node.iter("br"):
            br.tail = "\n" + (br.tail or "")
        record: dict[str, Any] = {
            "id": f"tg-{channel}-{number}", "url": url, "text": node.text_content().strip(),
            "date": post.xpath('string(.//a[contains(@class, "tgme_widget_message_date")]//time/@datetime)') or None,
            "outlet": title or channel,
            "forwarded_from": post.xpath(
                'string(.//*[contains(@class, "tgme_widget_message_forwarded_from_name")])').strip() or None,
        }
        yield record_to_document(record, origin=origin, line=position, default_id=record["id"], encoding=encoding)
