"""Who published an article, and whom it credits: two different answers, kept apart.

A re-publisher that ends with "Based on materials from TASS" is not TASS; a TASS copy on its own site
is. The publisher comes from the URL, the page's site name, the outlet's own furniture ("Also on
rt.com", "Read on RBC Pro") or, failing those, a wire dateline ("/TASS/"). The credited source comes from
credit phrases ("Based on materials from", "По материалам", "(Reuters) -", "— РИА Новости"). Names are
canonical short names from a small table; unknown domains stay as the domain, so nothing is invented.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from storyline.extract.dates import parse_dateline, parse_stamp, split_byline
from storyline.extract.entities import fold_token
from storyline.model import CleanText, RawDocument

KNOWN_OUTLETS: dict[str, tuple[str, ...]] = {
    # canonical name: (domains..., aliases...) — aliases are matched case-insensitively, whole names
    "TASS": ("tass.com", "tass.ru", "itar-tass.com", "TASS", "ТАСС", "ИТАР-ТАСС", "ITAR-TASS"),
    "RT": ("rt.com", "russian.rt.com", "RT", "Russia Today", "RT International"),
    "RIA Novosti": ("ria.ru", "RIA Novosti", "РИА Новости", "РИА «Новости»", "RIA"),
    "RBC": ("rbc.ru", "RBC", "РБК", "RBC.ru"),
    "Interfax": ("interfax.ru", "interfax.com", "Interfax", "Интерфакс"),
    "Reuters": ("reuters.com", "Reuters", "Рейтер"),
    "AP": ("apnews.com", "ap.org", "AP", "Associated Press", "The Associated Press"),
    "AFP": ("afp.com", "AFP", "Agence France-Presse", "France-Presse"),
    "BBC": ("bbc.com", "bbc.co.uk", "BBC", "BBC News", "Би-би-си", "Русская служба Би-би-си"),
    "Kommersant": ("kommersant.ru", "Kommersant", "Коммерсантъ", "Коммерсант"),
    "Izvestia": ("iz.ru", "Izvestia", "Известия"),
    "Vedomosti": ("vedomosti.ru", "Vedomosti", "Ведомости"),
    "Meduza": ("meduza.io", "Meduza", "Медуза"),
    "Sputnik": ("sputniknews.com", "sputniknews.ru", "Sputnik", "Спутник"),
    "Lenta.ru": ("lenta.ru", "Lenta.ru", "Лента.ру"),
    "Gazeta.ru": ("gazeta.ru", "Gazeta.ru", "Газета.Ru"),
    "Argumenty i Fakty": ("aif.ru", "Argumenty i Fakty", "Аргументы и факты", "АиФ"),
    "Kremlin": ("kremlin.ru", "en.kremlin.ru"),
    "CNN": ("cnn.com", "CNN"),
    "The Guardian": ("theguardian.com", "The Guardian", "Guardian"),
    "The New York Times": ("nytimes.com", "The New York Times", "New York Times"),
    "The Washington Post": ("washingtonpost.com", "The Washington Post", "Washington Post"),
    "Fox News": ("foxnews.com", "Fox News"),
    "Al Jazeera": ("aljazeera.com", "Al Jazeera"),
    "Xinhua": ("xinhuanet.com", "news.cn", "Xinhua"),
    "Bloomberg": ("bloomberg.com", "Bloomberg"),
    "Deutsche Welle": ("dw.com", "Deutsche Welle", "DW"),
    "Euronews": ("euronews.com", "Euronews"),
    "IRNA": ("irna.ir", "IRNA"),
    "Press TV": ("presstv.ir", "Press TV", "PressTV"),
}
_DOMAIN_TO_NAME = {
    key: name for name, keys in KNOWN_OUTLETS.items() for key in keys if "." in key and " " not in key and key.islower()
}
_ALIAS_TO_NAME = {key.casefold(): name for name, keys in KNOWN_OUTLETS.items() for key in keys}
_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


def _compact(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


# the names datasets write without spaces or domain ending ("washingtonpost", "foxnews", "NYTimes"): a known
# outlet's alias or its domain's name (four letters or more, so "iz" or "rt" stay whole names only)
_COMPACT_TO_NAME = {
    **{label: name for domain, name in _DOMAIN_TO_NAME.items() if len(label := domain.split(".")[0]) >= 4},
    **{_compact(key): name for name, keys in KNOWN_OUTLETS.items() for key in keys if "." not in key},
}
# a page kept by a web archive names the archived address inside its own: the Wayback Machine's
# web.archive.org/web/20170313014437/https://site/…, archive.today's archive.ph/newest/https://site/…
_ARCHIVED = re.compile(
    r"^(?:https?://)?(?:web\.|wayback\.)?archive\.org/web/\d{0,14}[a-z_]*/+(?P<inner>.+)$"
    r"|^(?:https?://)?archive\.(?:ph|is|today|li|vn|fo|md)/(?:\d{14}/|newest/|oldest/)(?P<inner2>.+)$",
    re.I,
)
# "WNEM (Meredith Corporation)": the station, not its owner in brackets (also cut short: "KCTV (Meredith Corp")
_OWNER = re.compile(r"(?<=\S)\s*\([^()]*\)?\s*$")

_NAME = r"[\w«»\"“”.\- ]{2,40}?"
_CREDIT_LINE = re.compile(
    rf"^(?:based on (?:the )?materials (?:from|of)|according to materials (?:from|of)|with materials from"
    rf"|по материалам|(?:source|источник)\s*:)\s*:?\s*(?P<name>{_NAME})\s*\.?$",
    re.I | re.M,
)
_SELF_REFERENCE = (
    # "Authors Tags Subscribe to Coastline Times Get the morning briefing": a capitalised name before "Get"
    re.compile(r"\bSubscribe to (?P<name>[A-Z]\w+(?: [A-Z]\w+){0,3}?) (?=Get\b)", re.M),
    # "© 2024 Северный вестник · sevvestnik.example · Все права защищены", "© Reuters 2024. All rights reserved"
    re.compile(r"^(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[–-]\s*\d{4})?\s*)?(?P<name>[^\W\d][^·|\n,.;©]{1,40}?)"
               r"\s*(?:\d{4}\s*)?(?:[·|,.;]|all rights|все права|$)", re.I | re.M),
    re.compile(r"^also on (?P<name>[\w\-]+(?:\.[\w\-]+)+)\b", re.I | re.M),
    re.compile(r"^(?:также на|ещё на|еще на) (?P<name>[\w\-]+(?:\.[\w\-]+)+)\b", re.I | re.M),
    re.compile(r"^(?:read on|читайте на) (?P<name>[\w.\-]{2,20}) pro\b", re.I | re.M),
    re.compile(r"^subscribe to (?:\w+ ){0,3}?(?P<name>[\w.\-]{2,20})\s+get news\b", re.I | re.M),
)


def canonical_outlet(name_or_domain: str | None) -> str | None:
    """Canonical short name: "www.rt.com" → "RT", "РИА Новости" → "RIA Novosti", "example.org" → "example.org";
    a page in a web archive is its original site's, a dataset's "washingtonpost" The Washington Post, and
    "WNEM (Meredith Corporation)" the station WNEM.

    >>> canonical_outlet("https://tass.com/politics/1"), canonical_outlet("ТАСС"), canonical_outlet("foo.example")
    ('TASS', 'TASS', 'foo.example')
    >>> canonical_outlet("http://web.archive.org/web/20150922124326/http://www.foxnews.com/us/1"), canonical_outlet("washingtonpost")
    ('Fox News', 'The Washington Post')
    """
    if not name_or_domain:
        return None
    text = name_or_domain.strip()
    text = (_OWNER.sub("", text) or text).strip("/«»\"“”()—–- .")
    if not text:
        return None
    alias = _ALIAS_TO_NAME.get(text.casefold()) or ("." not in text and _COMPACT_TO_NAME.get(_compact(text)))
    if alias:
        return alias
    domain = domain_of(text)
    if domain:
        parts = domain.split(".")
        for i in range(len(parts) - 1):
            known = _DOMAIN_TO_NAME.get(".".join(parts[i:]))
            if known:
                return known
        return domain
    return text


_MINOR_WORDS = frozenset({"the", "of", "and", "for", "on", "in", "a", "и", "в", "на"})


def same_outlet(name: str | None, other: str | None) -> bool:
    """Whether two outlet names are one outlet: the same in another case or alphabet ("RIB" / "РИБ", "Baltiyskiy
    Obozrevatel" / "Балтийский обозреватель"), or one the initials of the other, an agency's letter allowed at
    the end ("BWA" / "Baltic Wire", "WP" / "The Washington Post") — so an outlet's own wire tag ("/BWA/") is not
    a source it credits.

    >>> same_outlet("BWA", "Baltic Wire"), same_outlet("RIB", "РИБ"), same_outlet("AP", "Reuters")
    (True, True, False)
    """
    if not name or not other:
        return False
    return bool(_name_keys(name)[0] & _name_keys(other)[1])


class OutletNames:
    """The outlets of a store by every form another text may name them in (:func:`same_outlet`): a credit to
    "RIB" or "Baltiyskiy Obozrevatel" finds the outlet stored as "РИБ" or "Балтийский обозреватель".

    >>> names = OutletNames(["РИБ", "Baltic Wire"])
    >>> names.query("RIB"), names.query("BWA"), names.query("TASS")
    ('РИБ', 'Baltic Wire', None)
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._by_key: dict[tuple[str, str], str] = {}
        for name in names:
            self.insert(name)

    def insert(self, name: str) -> None:
        """Add ``name``; of two names with a key in common, the first inserted answers for it."""
        for key in _name_keys(name)[0]:
            self._by_key.setdefault(key, name)

    def query(self, name: str) -> str | None:
        """The inserted outlet ``name`` is one with, if any (itself when inserted)."""
        found = [self._by_key[key] for key in sorted(_name_keys(name)[1]) if key in self._by_key]
        return name if name in found else (found[0] if found else None)


@lru_cache(maxsize=65536)
def _name_keys(name: str) -> tuple[frozenset[tuple[str, str]], frozenset[tuple[str, str]]]:
    """(keys ``name`` is found by, keys it looks for): the same case-folded and romanised (both ways);
    an abbreviation ("BWA") is found by the initials it spells with or without a last letter and looks for
    names with those initials, a name of two words or more the other way round."""
    words = re.findall(r"\w+", name.casefold())
    plain = {("name", name.casefold()), ("folded", "".join(fold_token(w) for w in words))}
    found, looks = set(plain), set(plain)
    if 2 <= len(name) <= 6 and name.isupper() and name.isalpha():
        found |= {("abbreviation", name), ("abbreviation", name[:-1])} if len(name) >= 3 else {("abbreviation", name)}
        looks |= {("initials", name), ("initials", name[:-1])} if len(name) >= 3 else {("initials", name)}
    initials = "".join(w[0] for w in words if w not in _MINOR_WORDS).upper()
    if len(initials) >= 2:
        found.add(("initials", initials))
        looks.add(("abbreviation", initials))
    return frozenset(found), frozenset(looks)


def restated(outlet: str | None, credited: str | None, url: str | None) -> tuple[str | None, str | None]:
    """A stored (publisher, credited source) as today's rules name them, without the text: names made canonical
    ("washingtonpost" → The Washington Post, "WSMV (Meredith Corporation" → WSMV), a publisher taken from the
    address re-read from it (a web archive's page is its original site's), an outlet's own wire tag dropped as a
    credit. ``storyline regroup`` applies it, so a store ingested by an older storyline shows the same outlets as
    a new ingest.

    >>> restated("web.archive.org", None, "http://web.archive.org/web/2015/http://www.foxnews.com/us/1")
    ('Fox News', None)
    >>> restated("Baltic Wire", "BWA", None), restated(None, "washingtonpost", None)
    (('Baltic Wire', None), (None, 'The Washington Post'))
    """
    address = (url or "").strip().lower()
    if outlet and _ARCHIVED.match(address) and domain_of(address) \
            and outlet == (urlsplit(address).hostname or "").removeprefix("www."):
        outlet = canonical_outlet(address)
    outlet = canonical_outlet(outlet) if outlet else None
    credited = canonical_outlet(credited) if credited else None
    if same_outlet(credited, outlet):
        credited = None
    return outlet, credited


def domain_of(url_or_domain: str) -> str | None:
    """The host of a URL or bare domain, lower-case, without ``www.``; None when it is not one. For a page kept by
    a web archive, the host of the archived address."""
    text = url_or_domain.strip().lower()
    archived = _ARCHIVED.match(text)
    while archived:
        text = archived.group("inner") or archived.group("inner2")
        archived = _ARCHIVED.match(text)
    host = urlsplit(text).hostname if "://" in text else text.split("/")[0]
    if not host:
        return None
    host = host.removeprefix("www.").removeprefix("m.")
    return host if _DOMAIN.match(host) else None


def find_outlets(clean: CleanText, doc: RawDocument | None = None) -> tuple[str | None, str | None]:
    """(publisher, credited source); the credited source is None when it is the publisher itself. A source the
    record credits (a forwarded Telegram post's channel) comes before one the text credits."""
    given = canonical_outlet(doc.credited) if doc is not None and doc.credited else None
    credited = given or _credited_source(clean.repaired)
    agency = _dateline_agency(clean.body)
    outlet = _publisher(clean, doc)
    if outlet is None and credited is None:
        outlet = agency
    elif credited is None:
        credited = agency
    if same_outlet(credited, outlet):
        credited = None
    return outlet, credited


def _publisher(clean: CleanText, doc: RawDocument | None) -> str | None:
    """Explicit outlet field > the page's site name > the outlet naming itself in its furniture > URL domain.

    A known domain (rt.com) maps to its name directly; an unknown one is used only when nothing names the site,
    so "harbourcourier.example" and "Harbour Courier" do not become two outlets.
    """
    if doc is not None and doc.outlet and canonical_outlet(doc.outlet):
        return canonical_outlet(doc.outlet)
    urls = [u for u in ((doc.url if doc else None), clean.meta.get("url")) if u]
    for url in urls:
        known = canonical_outlet(str(url))
        if known and domain_of(known) is None:
            return known
    sitename = clean.meta.get("sitename")
    if sitename and canonical_outlet(str(sitename)):
        return canonical_outlet(str(sitename))
    found = [_known_suffix(m.group("name")) for p in _SELF_REFERENCE if (m := p.search(clean.repaired))]
    named = [name for name in found if name and domain_of(name) is None]
    if named:
        return named[0]
    if urls:
        return canonical_outlet(str(urls[0]))
    return (found or [None])[0] or _byline_outlet(clean)


def _known_suffix(name: str) -> str | None:
    """"VK RBC" (from "Subscribe to VK RBC") → "RBC": a known outlet at the end of the phrase wins."""
    words = name.split()
    for i in range(1, len(words)):
        alias = _ALIAS_TO_NAME.get(" ".join(words[i:]).casefold())
        if alias:
            return alias
    return canonical_outlet(name)


def _byline_outlet(clean: CleanText) -> str | None:
    """"Outlet | Rubric | stamp": with three fields or more, the first names the site."""
    for span in clean.removed:
        if span.rule == "byline":
            fields = split_byline(span.text)
            if len(fields) >= 3 and parse_stamp(fields[0]) is None:
                return canonical_outlet(fields[0])
    return None


def _credited_source(repaired: str) -> str | None:
    match = _CREDIT_LINE.search(repaired)
    return canonical_outlet(match.group("name")) if match else None


def _dateline_agency(body: str) -> str | None:
    for paragraph in body.split("\n")[:12]:
        found = parse_dateline(paragraph)
        if found is not None:
            return canonical_outlet(found[1])
    for paragraph in body.split("\n")[:12]:
        wire = re.match(r"^[^\n]{0,60}?\((?P<name>Reuters|AP|AFP|Interfax|Интерфакс|Рейтер)\)\s*[-–—]", paragraph)
        if wire:
            return canonical_outlet(wire.group("name"))
    return None
