"""Publication dates from metadata, in-text stamps and datelines — never with an invented year.

Sources in order of trust: structured metadata (feed/JSON field, HTML meta) > a standalone stamp line
("30 Mar, 2021 11:49", "Wednesday 31 March 2021 - 11:59", "30.03.2021 11:49", "30 марта 2021, 11:49")
> an agency dateline ("MOSCOW, January 24. /TASS/"). A dateline without a year yields month and day
with ``year_known=False``; the year is left for a later stage to infer from context, because a guessed
year silently misplaces an article on a timeline by twelve months. A weekday alone ("on Tuesday")
gives nothing. Dates after ``today`` (plus a day for time zones) are dropped with the reason.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from storyline.model import CleanText, DateGuess, RawDocument

CONFIDENCE = {"metadata": 0.95, "html": 0.85, "stamp": 0.8, "url": 0.7, "dateline": 0.6, "dateline_no_year": 0.4}
PLACEHOLDER_YEAR = 1900  # see DateGuess: month/day only
LEAP_PLACEHOLDER_YEAR = 1904  # 29 February does not exist in 1900

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10,
    "nov": 11, "dec": 12,
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "мая": 5, "май": 5, "июн": 6, "июл": 7, "авг": 8, "сен": 9,
    "окт": 10, "ноя": 11, "дек": 12,
}
MONTH_WORD = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    r"январ[ьяе]|янв|феврал[ьяе]|фев|марта?|мар|апрел[ьяе]|апр|ма[йяе]|июн[ьяе]|июн|июл[ьяе]|июл|"
    r"августа?|авг|сентябр[ьяе]|сен|октябр[ьяе]|окт|ноябр[ьяе]|ноя|декабр[ьяе]|дек)\.?"
)
_WEEKDAY = (
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?|"
    r"понедельник|вторник|среда|четверг|пятница|суббота|воскресенье|пн|вт|ср|чт|пт|сб|вс"
)
_TIME = r"(?P<hour>[01]?\d|2[0-3])[:.](?P<minute>[0-5]\d)(?::[0-5]\d)?\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*hrs\.?)?"
_ZONE = (
    r"(?:\s*(?:\(?(?:gmt|utc|msk|мск|est|edt|et|pt|pst|pdt|ct|cst|cdt|mst|mdt|akst|akdt|hst|cet|cest|eet|eest|bst|ist|aest|aedt|uk)"
    r"(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?\)?|z|[+-]\d{2}:?\d{2}))?"
)
_ANY_WEEKDAY = rf"(?:(?:{_WEEKDAY})\s*,?\s*)?"
# "Published on:", "Story created:", "Last updated at", a bare "on": a label, then the stamp
_PREFIX = (
    r"(?:(?:(?:first |originally |last )?(?:published|updated|posted|created)|story created|date|опубликовано|"
    r"обновлено|дата публикации|дата)(?:\s+(?:on|at))?\s*:?\s*|on\s+)?"
    + _ANY_WEEKDAY
)
_SEP = r"\s*(?:,|-|–|—|\||/|@|at|last updated at|в)?\s*"
_DAY_MONTH_YEAR = (
    rf"(?P<day>\d{{1,2}})\s+(?P<month>{MONTH_WORD}),?\s+(?P<year>(?:19|20)\d\d)(?:\s*(?:года|г\.?))?"
)
_MONTH_DAY_YEAR = rf"(?P<month>{MONTH_WORD})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)"
_NUMERIC = r"(?P<day>\d{1,2})[./](?P<nmonth>\d{1,2})[./](?P<year>(?:19|20)\d\d)"
_ISO = r"(?P<year>(?:19|20)\d\d)-(?P<nmonth>\d{1,2})-(?P<day>\d{1,2})"

_YEAR_DIGITS = re.compile(r"(?:19|20)[0-9]")  # every stamp pattern has a year: a cheap test before eight patterns
_STAMP_PATTERNS = [
    re.compile(rf"^{_PREFIX}{body}(?:(?:{_SEP}|T){_TIME}{_ZONE})?\.?$", re.I)
    for body in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC, _ISO)
] + [
    re.compile(rf"^{_PREFIX}{_TIME}{_ZONE}{_SEP}{_ANY_WEEKDAY}{body}\.?$", re.I)
    for body in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _NUMERIC)
]

# Tokenised corpora (ECB+, Timeline17) space out punctuation: "November 11 , 2011 20 : 09", "5 : 40 p . m ."
_TOKENISED = (
    (re.compile(r"\(\s+"), "("),
    (re.compile(r"\s+([,.:;)])"), r"\1"),
    (re.compile(r"(\d)\s*([:/.])\s*(?=\d)"), r"\1\2"),
    (re.compile(r"\b(\d{4}) - (\d\d) - (\d\d)\b"), r"\1-\2-\3"),
    (re.compile(r"\b([ap])\.\s+m\.", re.I), r"\1.m."),
)
_BYLINE_SEPARATOR = re.compile(r"\s+[|•·]\s+")
_DATELINE = re.compile(
    r"^(?P<city>[A-ZА-ЯЁ][A-ZА-ЯЁ'’\-]+(?:[ -][A-ZА-ЯЁ][A-ZА-ЯЁ'’\-]+){0,3}),\s+"
    rf"(?:(?P<day1>\d{{1,2}})\s+(?P<month1>(?i:{MONTH_WORD}))|(?P<month2>(?i:{MONTH_WORD}))\s+(?P<day2>\d{{1,2}}))"
    r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
    r"(?P<tail>\s*[.,]?\s*(?:/\s*[\w\- ]{2,30}\s*/|\([\w\- ]{2,30}\)|[-–—]\s*[\w\- ]{2,30}[.:]))",
)


def parse_stamp(text: str) -> tuple[datetime, bool] | None:
    """Parse a line that is nothing but a date stamp; return (datetime, has_time) or None.

    >>> parse_stamp("Wednesday 31 March 2021 - 11:59")
    (datetime.datetime(2021, 3, 31, 11, 59), True)
    >>> parse_stamp("He spoke on Wednesday") is None
    True
    """
    line = text.strip()
    if not 6 <= len(line) <= 80 or not _YEAR_DIGITS.search(line):
        return None
    for pattern, joined in _TOKENISED:
        line = pattern.sub(joined, line)
    for pattern in _STAMP_PATTERNS:
        match = pattern.match(line)
        if match:
            value = _build(match)
            if value is not None:
                return value
    return None


def parse_byline(line: str) -> tuple[datetime, bool] | None:
    """A byline row whose fields include a stamp: "Outlet | Rubric | 9 апреля 2024, 18:40".

    >>> parse_byline("Baltic Observer | Society | 9 April 2024, 18:40")
    (datetime.datetime(2024, 4, 9, 18, 40), True)
    """
    fields = split_byline(line)
    for field in fields:
        parsed = parse_stamp(field)
        if parsed is not None:
            return parsed
    return None


def split_byline(line: str) -> list[str]:
    """Fields of a short row separated by "|", "•" or "·" (empty when the line is not such a row)."""
    if len(line) > 160 or not _BYLINE_SEPARATOR.search(line):
        return []
    return [field.strip() for field in _BYLINE_SEPARATOR.split(line) if field.strip()]


# time zones a stamp or header names, in minutes east of UTC; ambiguous abbreviations (CST, IST, ET) are left out
_ZONE_MINUTES = {"gmt": 0, "utc": 0, "msk": 180, "мск": 180, "bst": 60, "cet": 60, "cest": 120, "eet": 120,
                 "eest": 180, "est": -300, "edt": -240, "cdt": -300, "mst": -420, "mdt": -360, "pst": -480,
                 "pdt": -420, "akst": -540, "akdt": -480, "hst": -600, "aest": 600, "aedt": 660}
_NUMERIC_ZONE = re.compile(r"\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?P<zone>z\b|[+-]\d\d:?\d\d\b)", re.I)
_NAMED_ZONE = re.compile(rf"\b(?P<name>{'|'.join(_ZONE_MINUTES)})\b(?:\s*(?P<sign>[+-])\s*(?P<hours>\d{{1,2}})"
                         r"(?::?(?P<minutes>\d\d))?)?", re.I)


def utc_offset_of(text: str) -> int | None:
    """The UTC offset, in minutes, that a timestamp states: "…T10:00:00+02:00" → 120, "…09:00:00Z" → 0,
    "Mon, 04 Mar 2024 10:00:00 +0200" → 120, "11:49 MSK" → 180, "11:59 GMT+3" → 180, Unix seconds → 0; None
    when it states none. Read apart from the date so that :func:`parse_metadata_date` keeps its shape.

    >>> utc_offset_of("2024-03-04T10:00:00+02:00"), utc_offset_of("30 марта 2021, 11:49 МСК"), utc_offset_of("11:49")
    (120, 180, None)
    """
    raw = text.strip()
    if re.fullmatch(r"\d{9,10}", raw):
        return 0
    numeric = _NUMERIC_ZONE.search(raw)
    if numeric:
        zone = numeric.group("zone").replace(":", "")
        return 0 if zone.lower() == "z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[3:5]))
    named = _NAMED_ZONE.search(raw)
    if named:
        shift = int(named.group("hours") or 0) * 60 + int(named.group("minutes") or 0)
        return _ZONE_MINUTES[named.group("name").lower()] + (-shift if named.group("sign") == "-" else shift)
    return None


def parse_metadata_date(text: str) -> tuple[datetime, bool] | None:
    """Dates as metadata writes them: ISO 8601, RFC 2822 (feeds), or any stamp form."""
    raw = text.strip()
    iso = re.match(r"^((?:19|20)\d\d-\d\d-\d\d)(?:[T ](\d\d:\d\d)(?::\d\d(?:\.\d+)?)?)?(?:Z|[+-]\d\d:?\d\d)?$", raw)
    if iso:
        try:
            if iso.group(2):
                return datetime.fromisoformat(f"{iso.group(1)}T{iso.group(2)}"), True
            return datetime.fromisoformat(iso.group(1)), False
        except ValueError:
            return None
    if re.fullmatch(r"\d{9,10}", raw):  # Unix seconds, as some exports write dates
        return datetime.fromtimestamp(int(raw), tz=UTC).replace(tzinfo=None), True
    try:
        parsed = parsedate_to_datetime(raw)
        return parsed.replace(tzinfo=None), True
    except (TypeError, ValueError, IndexError):
        pass
    return parse_stamp(raw)


def parse_dateline(paragraph: str) -> tuple[DateGuess, str] | None:
    """A wire dateline at the start of a paragraph: (date guess, agency mark such as "/TASS/") or None.

    >>> guess, mark = parse_dateline("MOSCOW, January 24. /TASS/. Russia expects ...")
    >>> guess.iso, guess.year_known, mark
    ('--01-24', False, '/TASS/')
    """
    match = _DATELINE.match(paragraph.strip())
    if not match:
        return None
    day = int(match.group("day1") or match.group("day2"))
    month = month_number(match.group("month1") or match.group("month2"))
    year = int(match.group("year")) if match.group("year") else None
    if month is None:
        return None
    placeholder = LEAP_PLACEHOLDER_YEAR if (month, day) == (2, 29) else PLACEHOLDER_YEAR
    try:
        value = datetime(year or placeholder, month, day)
    except ValueError:
        return None
    source_key = "dateline" if year else "dateline_no_year"
    guess = DateGuess(value, CONFIDENCE[source_key], "dateline", has_time=False, year_known=year is not None)
    return guess, match.group("tail").strip(" .,")


# the dates news sites put in their addresses: /2019/11/14/, /2019/nov/04/, /2019-11-14-slug, /20191108 or
# slug-20191108, /14-11-2019/ (day first, as Russian sites write it); never inside a longer run of digits (the
# Wayback Machine's 14-digit stamps, article numbers)
_URL_DATE = re.compile(
    r"(?<![0-9])(?:"
    r"(?P<y1>(?:19|20)\d\d)[/_-](?P<m1>[01]?\d|[a-z]{3})[/_-](?P<d1>[0-3]?\d)"
    r"|(?P<y2>(?:19|20)\d\d)(?P<m2>[01]\d)(?P<d2>[0-3]\d)"
    r"|(?P<d3>[0-3]\d)[-.](?P<m3>[01]\d)[-.](?P<y3>(?:19|20)\d\d)"
    r")(?![0-9])",
    re.I,
)


def url_date(url: str | None, today: date | None = None) -> date | None:
    """The day an article's address names, when it names one that can be a publication day.

    >>> url_date("https://www.theguardian.com/politics/2019/nov/04/johnsons-brexit"), url_date("https://x.example/n/1516675")
    (datetime.date(2019, 11, 4), None)
    """
    if not url:
        return None
    today = today or date.today()
    path = url.split("://", 1)[-1].partition("/")[2].split("?", 1)[0]
    for match in _URL_DATE.finditer(path):
        year, month, day = next(
            (match.group(f"y{k}"), match.group(f"m{k}"), match.group(f"d{k}")) for k in "123" if match.group(f"y{k}")
        )
        number = month_number(month) if month.isalpha() else int(month)
        try:
            value = date(int(year), number or 0, int(day))
        except ValueError:
            continue
        if date(1990, 1, 1) <= value <= today:
            return value
    return None


def find_date(
    clean: CleanText, doc: RawDocument | None = None, today: date | None = None
) -> tuple[DateGuess | None, str | None]:
    """Best publication date and a note explaining dropped candidates (future or unparseable dates).

    Sources, most trusted first: the record's or page's own date, a date stamp or byline the cleaner took out,
    the day the article's address names, a dateline ("MOSCOW, March 30").
    """
    today = today or date.today()
    limit = datetime.combine(today + timedelta(days=1), datetime.max.time())
    notes: list[str] = []
    candidates: list[tuple[str | None, str]] = [
        (doc.date if doc else None, "metadata"),
        (clean.meta.get("date"), "html"),
    ]
    for raw, source in candidates:
        if not raw:
            continue
        parsed = parse_metadata_date(str(raw))
        if parsed is None:
            notes.append(f"unparseable {source} date {str(raw)[:40]!r} ignored")
            continue
        value, has_time = parsed
        if value > limit:
            notes.append(f"future {source} date {value.date().isoformat()} ignored")
            continue
        offset = utc_offset_of(str(raw)) if has_time else None
        return DateGuess(value, CONFIDENCE[source], "metadata", has_time=has_time, utc_offset=offset), _join(notes)
    for span in clean.removed:
        if span.rule not in ("date_stamp", "byline"):
            continue
        parsed = parse_stamp(span.text) or parse_byline(span.text)
        if parsed is None:
            continue
        value, has_time = parsed
        if value > limit:
            notes.append(f"future stamp {value.date().isoformat()} ignored")
            continue
        offset = utc_offset_of(span.text) if has_time else None
        return DateGuess(value, CONFIDENCE["stamp"], "stamp", has_time=has_time, utc_offset=offset), _join(notes)
    from_url = url_date((doc.url if doc else None) or str(clean.meta.get("url") or ""), today)
    if from_url is not None:
        return DateGuess(datetime.combine(from_url, datetime.min.time()), CONFIDENCE["url"], "url"), _join(notes)
    for paragraph in clean.body.split("\n")[:12]:
        found = parse_dateline(paragraph)
        if found is None:
            continue
        guess = found[0]
        if guess.year_known and guess.value > limit:
            notes.append(f"future dateline {guess.value.date().isoformat()} ignored")
            continue
        return guess, _join(notes)
    return None, _join(notes)


def _build(match: re.Match[str]) -> tuple[datetime, bool] | None:
    groups = match.groupdict()
    month = int(groups["nmonth"]) if groups.get("nmonth") else month_number(groups.get("month") or "")
    day = int(groups["day"])
    if month is None:
        return None
    if month > 12 >= day:  # "03/30/2021": American month-first order is unambiguous here
        month, day = day, month
    hour = int(groups["hour"]) if groups.get("hour") else 0
    minute = int(groups["minute"]) if groups.get("minute") else 0
    ampm = (groups.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        value = datetime(int(groups["year"]), month, day, hour, minute)
    except ValueError:
        return None
    return value, groups.get("hour") is not None


_FIRST_LETTERS = "".join(sorted({w[0] for w in _MONTHS}))
# a day and a month name in either order, optionally a year; or an ISO date. Matched on lower-cased text: the
# lookahead skips most positions at once (an article's 4,000 characters in ~0.1 ms, a third of a case-blind scan)
_NAMED_DATE = re.compile(
    rf"(?=[{_FIRST_LETTERS}0-9])\b(?:(?P<m1>{MONTH_WORD})\s+(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?\b"
    rf"(?:\s*,?\s*(?P<y1>(?:19|20)\d\d)\b)?"
    rf"|(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{MONTH_WORD})(?!\w)(?:\s*,?\s*(?P<y2>(?:19|20)\d\d)\b)?"
    rf"|(?P<y3>(?:19|20)\d\d)-(?P<n3>[01]\d)-(?P<d3>[0-3]\d)\b)"
)


def named_dates(text: str, published: date) -> list[date]:
    """The calendar days ``text`` names ("March 9", "9 March 2016", "7 мая", "2016-03-09"), a day without a year
    taken in the year that puts it nearest to ``published``. Weekdays and "yesterday" are not read: they only
    ever point within a week of ``published``."""
    lower = text.lower()
    same_length = len(lower) == len(text)  # then a match's first letter can be checked for case
    found = []
    for m in _NAMED_DATE.finditer(lower):
        if m.group("y3"):
            years, month, day = [int(m.group("y3"))], int(m.group("n3")), int(m.group("d3"))
        else:
            word, day_text, year = (m.group("m1"), m.group("d1"), m.group("y1")) if m.group("m1") else \
                (m.group("m2"), m.group("d2"), m.group("y2"))
            month_at = m.start("m1") if m.group("m1") else m.start("m2")
            if word == "may" and not year and same_length and not text[month_at].isupper():
                continue  # "may 5", "the shooting of 5 may be tied to gangs": in lower case, the verb
            month, day = month_number(word) or 0, int(day_text)
            years = [int(year)] if year else [published.year - 1, published.year, published.year + 1]
        nearest = nearest_day(years, month, day, published)
        if nearest is not None:
            found.append(nearest)
    return found


WEEKDAY_NUMBER = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
                   "понедельник": 0, "вторник": 1, "среду": 2, "среда": 2, "четверг": 3, "пятницу": 4, "пятница": 4,
                   "субботу": 5, "суббота": 5, "воскресенье": 6}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FUTURE_WORD = re.compile(r"(?<![^\W\d_])(?:will|'ll|shall|next|going to|plans? to|scheduled|due to|resumes?|"
                          r"будет|будут|планиру\w*|намерен\w*|состоится|пройд[её]т)(?![^\W\d_])")
_RECENT_WORD = re.compile(r"(?<![^\W\d_])(yesterday|last night|вчера|" + "|".join(WEEKDAY_NUMBER) + r")(?![^\W\d_])")


def recent_days(text: str, published: date, within: int = 7) -> list[date]:
    """The days of the ``within`` days before ``published`` that ``text`` names: "Sunday night" or "в субботу" (the
    last such weekday before ``published``), "yesterday", or a calendar day ("March 6"). Where a first report
    says its event happened."""
    found = [d for d in named_dates(text, published) if 0 < (published - d).days <= within]
    for sentence in _SENTENCE_END.split(text.lower()):
        if _FUTURE_WORD.search(sentence):  # "talks resume on Monday", "will meet next Friday": not a past day
            continue
        for m in _RECENT_WORD.finditer(sentence):
            word = m.group(1)
            if word in ("yesterday", "last night", "вчера"):
                found.append(published - timedelta(days=1))
            else:
                back = (published.weekday() - WEEKDAY_NUMBER[word]) % 7
                if 0 < back <= within:
                    found.append(published - timedelta(days=back))
    return found


def nearest_day(years: list[int], month: int, day: int, published: date) -> date | None:
    """The valid ``month``/``day`` in one of ``years`` nearest to ``published`` (None if none is a real day)."""
    candidates = []
    for year in years:
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: (abs((d - published).days), d)) if candidates else None


def month_number(word: str) -> int | None:
    key = word.lower().rstrip(".")[:3]
    return _MONTHS.get(key)


def _join(notes: list[str]) -> str | None:
    return "; ".join(notes) if notes else None
