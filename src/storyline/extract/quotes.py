"""Quotes with speakers: direct quotes in any quote style, partial quotes and reported speech.

The cascade, per article: find quoted spans (“…”, "…", «…», „…“, ``…'', ‘…’ when it is a quote), drop
titles and names in quotes, add reported speech ("X said that …", "…, X said.", "according to X, …",
"заявил, что …"), then attribute each quote from its cue: "X said" / "said X" next to the quote, an
apposition, a title alone ("the Kremlin spokesman", resolved through the roles the article gave), a
pronoun (the most recent compatible speaker), or the previous speaker for a paragraph that opens with a
quote. Speakers are entity keys from ``article.mentions``; a speaker that is no named entity ("police")
keeps its phrase in ``speaker_name`` with ``speaker=None``.

Convention (the labelled set follows it): a quote's span is the text inside its quote marks; a quote
broken by "he said" is two quotes; a quote running over paragraphs is one quote per paragraph.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass

from storyline.extract.entities import CLAUSE_WORDS, ROLE_GROUPS, ROLE_HEADS, guess_gender, role_group
from storyline.model import Article, Entity, Mention, Quote

VERBS_EN = (
    "said|says|say|told|tells|added|adds|stressed|stresses|noted|notes|stated|states|explained|explains|insisted|"
    "insists|warned|warns|claimed|claims|recalled|listed|announced|announces|asked|replied|wrote|writes|declared|"
    "confirmed|confirms|reported|continued|remarked|emphasized|emphasised|argued|argues|added|reflected|"
    "acknowledged|admitted|agreed|urged|testified|recounted|described|called|concluded|pointed out|went on|"
    "answered|responded|parried|countered|retorted"
)
VERBS_RU = ("заявил[аио]?|сказал[аио]?|отметил[аио]?|подчеркнул[аио]?|сообщил[аио]?|добавил[аио]?|пояснил[аио]?|"
            "заявляет|говорит|парировал[аи]?|ответил[аи]?|рассказал[аи]?|признал[аи]?|уточнил[аи]?|напомнил[аи]?|"
            "назвал[аи]?")
_VERB = rf"(?:{VERBS_EN}|{VERBS_RU})"
PRONOUNS = {"he": "m", "she": "f", "он": "m", "она": "f", "they": "p", "они": "p"}
_PRONOUN = r"(?:[Hh]e|[Ss]he|[Tt]hey|[Оо]н[аи]?)"
_NAME = r"(?:[A-ZА-ЯЁ][\w\-’'.]*(?:\s+(?:[A-ZА-ЯЁ][\w\-’'.]*|de|van|von|al|bin)){0,3})"
_AGENT = (r"(?i:spokes\w+|secretary|minister|ambassador|president|officials?|officers?|police|"
          r"authorities|sheriff|chief|mayor|governor|senator|prosecutors?|attorney|investigators?|detectives?|"
          r"witness(?:es)?|neighbou?rs?|residents?|sources?|man|woman|mother|father|son|daughter|friend|"
          r"brother|sister|wife|husband|victim|suspect|lawyer|report|statement|office|department|agency|"
          r"coroner|deputy|deputies|director|leader|head|host|chairman|lieutenant|sergeant|"
          r"captain|commissioner|judge|expert|analyst|owner|manager|employee|teacher|student|grandmother|"
          r"grandfather|aunt|uncle|cousin|family|families|friends?|troopers?|dealers?|documents|papers|records|"
          r"release|administrator|principal|superintendent|spokesperson|executive|officials|people|patrons|"
          r"relatives?|parents?|girlfriend|boyfriend|neighbou?rhood|trader|farmer|group|company|firm|founder|"
          r"chairwoman|chair|economist|"
          r"пресс-секретарь|министр|посол|президент|глава|представитель)s?")
# a Russian title puts its head first: "пресс-секретарь президента", "министр иностранных дел", "глава МИД"
_RUSSIAN_TITLE = re.compile(r"(?:пресс-секретар|министр|посл(?:ол|а\b|у\b|ом\b)|президент|представител|председател"
                            r"|спикер|судь|адвокат|глав[аеуы]\b)\w*(?:\s|$)")
_TITLE = (rf"(?:(?:[Tt]he|[Aa]|[Aa]n|[Hh]is|[Hh]er|[Tt]heir)\s+(?:[\w\-’']+\s+){{0,6}}?{_AGENT}"
          rf"|[A-ZА-ЯЁ][\w\-’']*\s+(?:[\w\-’']+\s+){{0,5}}?{_AGENT})")
_SUBJECT = rf"(?:{_PRONOUN}|{_TITLE}|(?:[Tt]he\s+)?{_NAME}|(?:[\w\-’']+\s+){{0,3}}?{_AGENT})"
_SUBJECT_RE = re.compile(_SUBJECT)
_AGENT_RE = re.compile(_AGENT)
_TITLED_NAME = re.compile(rf"(?:{_TITLE})\s+{_NAME}")  # "Obama spokesman Bill Burton"
_ADVERBS = re.compile(r"(?:,?\s+(?:also|then|later|has|had|have|was|once|further|previously|earlier|recently|"
                      r"repeatedly|again|only|even|did|does|do|would|will|could|ещё|также|уже|in a statement|on \w+day))+,?\s*$")
_VERB_RE = re.compile(rf"(?<![\w\-]){_VERB}(?![\w\-])")
_INVERTS = re.compile(r"said|says|added|adds|asked|wrote|continued|explained|noted|stressed|insisted|stated|"
                      r"claimed|replied|recalled|warned|concluded|answered|заявил[аи]?|сказал[аи]?|отметил[аи]?|"
                      r"добавил[аи]?|рассказал[аи]?|пояснил[аи]?|ответил[аи]?|парировал[аи]?")
_NOT_ABBREV = "".join(f"(?<!\\b{a})" for a in ("Sgt", "Dr", "Lt", "Mr", "Mrs", "Ms", "St", "Jr", "Sr", "Gov", "Rep", "Sen",
                                                "Gen", "Col", "Capt", "Det", "Cpl", "Ofc", "No", "Adm", "Insp", "Supt"))
_NOT_ABBREV += r"(?<!\b[A-Z])"
_ABBREV = re.compile(r"\b(?:Sgt|Dr|Lt|Mr|Mrs|Ms|St|Jr|Sr|Gov|Rep|Sen|Gen|Col|Capt|Det|Cpl|Ofc|Adm|Insp|Supt|[A-Z])\.")
_WEEKDAYS = r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|August|September|October|November|December|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
_CLAUSE_START = re.compile(
    rf"\s+(?!(?:in|on|at|to|of|during|after|before|with|by|for|that|earlier|later|yesterday|today|last|"
    rf"late|early|the (?:statement|report)|{_WEEKDAYS})\b)[\wА-Яа-яЁё]")
_NO_THAT_VERBS = {"said", "says", "say", "confirmed", "claims", "claimed", "argued", "argues", "insists", "insisted",
                  "заявил", "заявила"}
_TOLD_OBJECT = re.compile(
    r"\s+(?:the\s+|a\s+)?(?:[A-Z][\w\-.]*(?:\s+[A-Z0-9][\w\-.]*){0,3}|reporters|police|officers|investigators|"
    r"detectives|deputies|authorities|troopers|him|her|them|us|me)(?:\s+(?:on|in|last)\s+\w+)?,?\s+(?:that\s+)?(?=[\w])"
    r"|\s+(?:[\w\-.’']+\s+){1,5}?that\s+(?=[\w])")
_APPOSITIVE = re.compile(
    rf"(?:^|(?<=[\s(]))(?P<n>{_NAME})\s*,\s+(?!the\s+[A-Z])(?:(?:a|an|the)\s+)?[a-z][^,]{{2,80}}?"
    rf"(?:\s*,\s*(?:(?:a|an|the)\s+)?[^,]{{2,60}}?)?\s*,?\s*$")
_ABBREVIATIONS = {"Mr", "Mrs", "Ms", "Dr", "St", "Jr", "Sr", "Ave", "Blvd", "Rd", "No", "Lt", "Sgt", "Gov", "Rep", "Sen",
                  "Capt", "Det", "Cpl", "Inc", "Co", "Corp", "Dept", "Mt", "Ft", "Gen", "Col", "Adm", "Insp", "Supt",
                  "Prof", "Rev", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"}
_INTRO_WORDS = {"afterward", "afterwards", "instead", "still", "now", "today", "yesterday", "here", "there", "so"}
_PRONOUN_RE = re.compile(_PRONOUN)
_OBJECT_BEFORE = re.compile(r"\b(?:by|to|told|asked|with|from|against|urged|thanked|met)\s+(?:[a-z][\w\-]*\s+){0,3}"
                            r"(?:(?i:" + "|".join(map(re.escape, ROLE_HEADS)) + r")\s+)?$")
_TRAILING_NAME = re.compile(r"(?<=\s)[A-ZА-ЯЁ][\w\-’']+\s+[A-ZА-ЯЁ][\w\-’']+$")
_STOP_SUBJECT = {"it", "this", "that", "which", "who", "what", "there", "and", "but", "if", "when", "as", "we", "i",
                 "you", "earlier", "later", "then", "however", "also", "previously", "meanwhile", "in", "on", "at"}

# quote marks: (open, close) pairs tried in this order; straight quotes pair up left to right
_PAIRS = (("“", "”"), ("«", "»"), ("„", "“"), ("„", "”"), ("``", "''"), ("` `", "' '"), ('"', '"'))
_SINGLE_OPEN = re.compile(r"(?:(?<=^)|(?<=[\s(\[—–-]))‘(?=\S)")
# "was asked", "were told", "had been warned": the subject heard the quoted words, someone else said them
_PASSIVE = re.compile(r"\b(?:was|were|is|are|been|being|be)\s+(?:\w+ly\s+)?$", re.IGNORECASE)
_PASSIVE_CUES = {"asked", "told", "warned", "urged", "called", "described"}
# ", saying …" / ", adding: …": a participle whose subject opens the clause; "отметив", "заявив" in Russian
_PARTICIPLES = ("saying|adding|noting|insisting|stressing|warning|arguing|claiming|explaining|declaring|telling|"
                "заявив|отметив|добавив|подчеркнув|сказав|пояснив")
_PARTICIPLE = re.compile(rf",\s+(?P<v>(?:{_PARTICIPLES})(?:\s+[\w\-’']+){{0,3}}?)(?:\s+(?:that|что)\b)?"
                         r"[^,.;!?]{0,80}[,:]?\s*$")
_DETERMINERS = {"the", "a", "an", "his", "her", "their", "its", "this", "that"}
_CLAUSE_OPENERS = {*CLAUSE_WORDS, "Asked", "Speaking", "Last", "Earlier", "Later", "В", "На", "После", "Во"}
# capitalised words between "the" and a name that the recogniser did not find: the rest of that name
_NAME_HEAD = re.compile(r"\b[Tt]he\s+((?:[A-ZА-ЯЁ][\w\-’']*\s+){1,3})$")
_TITLE_CASE = re.compile(r"^(?:[A-ZА-ЯЁ0-9][\w\-’'.&]*[,:]?\s*|(?:of|the|and|a|in|on|for|to|at)\s+)+$")

@dataclass(slots=True)
class _Span:
    start: int
    end: int
    kind: str  # direct | partial | reported
    cue: str = ""
    subject: str | None = None
    subject_start: int = -1
    confidence: float = 0.0
    continues: bool = False  # paragraph-initial or continuation of an unclosed quote


def extract_quotes(article: Article) -> list[Quote]:
    """All quotes of ``article`` (offsets into ``article.body``), in text order, with speakers where found."""
    body = article.body
    spans = _direct_spans(body)
    spans = [s for s in spans if _is_speech(body, s)]
    spans.extend(_reported_spans(body, spans))
    spans.sort(key=lambda s: (s.start, s.end))
    resolver = _Resolver(article, [(s.start, s.end) for s in spans])
    quotes: list[Quote] = []
    previous: tuple[str | None, str | None, int] = (None, None, -1)
    for span in spans:
        if span.kind != "reported":
            _attribute_direct(body, span)
        key, name = (None, None)
        if span.subject:
            key, name = resolver.resolve(span.subject, span.subject_start)
        elif previous[1] and _continues(body, span, previous[2], resolver):
            key, name = previous[0], previous[1]
            span.cue, span.confidence = "continuation", 0.6
        if name is None:
            span.confidence = min(span.confidence, 0.3)
        text = body[span.start:span.end]
        quotes.append(Quote(article_id=article.id, text=text, start=span.start, end=span.end, speaker=key,
                            speaker_name=name, cue=span.cue or "none", confidence=round(span.confidence, 2),
                            kind=span.kind))
        if name is not None:
            previous = (key, name, span.end)
            resolver.last_speaker = (key, name)
            resolver.last_speaker_at = span.start
    return quotes


def _continues(body: str, span: _Span, previous_end: int, resolver: _Resolver) -> bool:
    """An unattributed quote keeps the previous speaker when it opens the next paragraph, or follows in the
    same paragraph with no other person named in between."""
    gap = _paragraph_gap(body, previous_end, span.start)
    if span.continues and gap <= 1:
        return True
    between = [m for m in resolver.person_mentions if previous_end <= m.start < span.start]
    return gap == 0 and not between and span.start - previous_end < 300


def _paragraph_gap(body: str, end: int, start: int) -> int:
    return len(re.findall(r"\n+", body[max(0, end):start]))


# ---------------------------------------------------------------- finding quoted spans


def _direct_spans(body: str) -> list[_Span]:
    """Quoted spans by paragraph; an unclosed quote runs to its paragraph's end (the next one continues it)."""
    spans: list[_Span] = []
    offset = 0
    unclosed = False
    for paragraph in re.split(r"(\n)", body):
        if paragraph == "\n" or not paragraph.strip():
            offset += len(paragraph)
            if paragraph.strip():
                unclosed = False
            continue
        found, still_open = _paragraph_quotes(paragraph)
        for lo, hi, open_at_start in found:
            span = _trimmed(body, offset + lo, offset + hi)
            if span:
                span.continues = open_at_start or (unclosed and lo <= 3)
                spans.append(span)
        unclosed = still_open
        offset += len(paragraph)
    return _outermost(spans)


def _paragraph_quotes(text: str) -> tuple[list[tuple[int, int, bool]], bool]:
    """(start, end, paragraph-initial) inside quote marks, and whether the paragraph ends inside a quote."""
    out: list[tuple[int, int, bool]] = []
    pos = 0
    still_open = False
    while pos < len(text):
        best: tuple[int, str, str] | None = None
        for open_mark, close_mark in _PAIRS:
            at = text.find(open_mark, pos)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, open_mark, close_mark)
        single = _SINGLE_OPEN.search(text, pos)
        if single and (best is None or single.start() < best[0]):
            close = re.compile(r"’(?![\w])").search(text, single.end())
            if close:
                inner = text[single.end():close.start()]
                if len(inner.split()) >= 3 and not re.search(r"[“”\"]", inner):
                    out.append((single.end(), close.start(), not text[:single.start()].strip()))
                pos = close.end()
                continue
            pos = single.end()
            continue
        if best is None:
            break
        at, open_mark, close_mark = best
        inner_start = at + len(open_mark)
        close_at = _find_close(text, inner_start, open_mark, close_mark)
        initial = not text[:at].strip(" \t-—–")
        if close_at < 0:
            end = _cut_tail_attribution(text, inner_start)
            out.append((inner_start, end, initial))
            still_open = end == len(text.rstrip())
            break
        out.append((inner_start, close_at, initial))
        pos = close_at + len(close_mark)
    return out, still_open


def _find_close(text: str, start: int, open_mark: str, close_mark: str) -> int:
    """Closing mark, skipping nested pairs of the same style (« « » »)."""
    depth = 0
    pos = start
    while True:
        close_at = text.find(close_mark, pos)
        if close_at < 0:
            return -1
        if open_mark != close_mark:
            nested = text.find(open_mark, pos, close_at)
            if nested >= 0:
                depth += 1
                pos = nested + len(open_mark)
                continue
        if depth:
            depth -= 1
            pos = close_at + len(close_mark)
            continue
        return close_at


def _cut_tail_attribution(text: str, start: int) -> int:
    """An unclosed quote ends at the paragraph end, or before a dash attribution ("…,— he said.")."""
    match = re.search(rf"[,.]?\s*[—–]+\s*(?:{_SUBJECT}\s+{_VERB}|{_VERB}\s+{_SUBJECT})[^.]*\.?\s*$", text[start:])
    return start + match.start() if match else len(text.rstrip())


def _trimmed(body: str, start: int, end: int) -> _Span | None:
    while start < end and body[start] in " \t<>.…":
        start += 1
    while end > start and body[end - 1] in " \t":
        end -= 1
    if end - start < 2 or not any(ch.isalpha() for ch in body[start:end]):
        return None
    return _Span(start, end, "direct")


def _outermost(spans: list[_Span]) -> list[_Span]:
    spans.sort(key=lambda s: (s.start, -s.end))
    out: list[_Span] = []
    for span in spans:
        if out and span.start < out[-1].end:
            continue
        out.append(span)
    return out


def _is_speech(body: str, span: _Span) -> bool:
    """Someone's words rather than a title, a name or a scare-quoted term."""
    text = body[span.start:span.end]
    words = text.split()
    sentence = _sentence_around(body, span.start, span.end)
    has_cue = bool(re.search(rf"\b{_VERB}\b|[Aa]ccording to|[Пп]о словам|:\s*$", sentence))
    if re.match(rf"\s*{_VERB}\s", text):  # straight quotes paired across an attribution: '," said X. "'
        return False
    sentence_start = max(body.rfind(". ", 0, span.start), body.rfind("\n", 0, span.start)) + 1
    before = body[sentence_start:span.start]
    has_cue = has_cue or bool(_PARTICIPLE.search(before.rstrip("“\"«„‘` ")))  # ", отметив: «…»"
    term = re.search(r"\b(?:(?P<naming>called|dubbed|known as|so-called|as)|the|a|an)\s*[`'\"“«„‘]*\s*$", before,
                     flags=re.IGNORECASE)
    if len(words) <= 3 and term and not re.search(r"[.!?,]$", text.strip()) and (
            term.group("naming") or not _VERB_RE.search(before)):
        return False  # a quoted term: the "static kill", known as "bullheading"
    if len(words) <= 8 and _TITLE_CASE.match(text.strip()) and not re.search(r"[.!?,]$", text.strip()):
        return False
    if len(words) <= 4 and not re.search(r"[.!?,]$", text.strip()) and (
            re.search(r"\(\s*[`'\"“«„‘]*$", body[max(0, span.start - 3):span.start])
            or len(re.findall(r"[\"“«„]" + re.escape(text) + r"[\"”»“]", body)) >= 2):
        return False  # a name in quotes: Irina Sokolova ("Narva together"), repeated later
    after = body[span.end:span.end + 40]
    if re.match(r"^[\s”\"»']*\s*(?:program|programme|newspaper|magazine|show|film|movie|book|channel|tv)",
                after, re.IGNORECASE):
        return False
    if len(words) >= 6 or (len(words) >= 3 and re.search(r"[.!?]$", text.strip())):
        return True
    return has_cue and len(words) >= 2


def _sentence_around(body: str, start: int, end: int) -> str:
    left = max(body.rfind(". ", 0, start), body.rfind("\n", 0, start), body.rfind("! ", 0, start),
               body.rfind("? ", 0, start))
    right_candidates = [i for i in (body.find(". ", end), body.find("\n", end)) if i >= 0]
    right = min(right_candidates) if right_candidates else len(body)
    return body[left + 1:right]


def subject_before(text: str) -> tuple[str, int] | None:
    """The speaker phrase ending ``text`` ("… Kremlin Spokesman Dmitry Peskov"), shortest that parses.

    Scanning word starts from the right avoids grabbing a whole clause ("the United States is possible,
    Peskov") as the subject; titles still get their head noun ("the Kremlin spokesman").
    """
    trimmed = _ADVERBS.sub("", text).rstrip(" ,")
    trimmed = re.sub(r",\s*\d{1,3}$", "", trimmed)  # "Valiukas, 51,"
    appositive = _APPOSITIVE.search(trimmed)
    if appositive and appositive.group("n").split()[0].lower() not in _STOP_SUBJECT | _INTRO_WORDS:
        return appositive.group("n"), appositive.start("n")
    prepositional = re.search(r"\s+(?:in|of|at|from|for)\s+(?:the\s+)?[A-Z][\w.\-]*(?:\s+[A-Z][\w.\-]*)*$", trimmed)
    if prepositional and prepositional.start() > 0:
        head = subject_before(trimmed[:prepositional.start()])
        if head and not _PRONOUN_RE.fullmatch(head[0]) and (head[0][0].isupper() or head[0].lower().startswith("the")):
            return head
    starts = [m.start() for m in re.finditer(r"(?<![\w\-’'])[\w\-’']", trimmed)]
    for start in reversed(starts[-9:]):
        candidate = trimmed[start:]
        if re.search(r"[,;:!?\"“”«»()]", candidate):
            break
        if candidate.split()[0].lower() in _STOP_SUBJECT and candidate.lower() not in PRONOUNS:
            continue
        if re.match(rf"(?:{_WEEKDAYS})\b", candidate):
            continue
        if _SUBJECT_RE.fullmatch(candidate):
            return candidate, start
    return None


def subject_after(text: str) -> tuple[str, int] | None:
    """The speaker phrase right after a verb ("said the Kremlin spokesperson.", "said neighbor James Shaw")."""
    masked = _ABBREV.sub(lambda m: m.group(0)[:-1] + "\x00", text)
    match = re.match(r"\s*([^,.;:!?\"“”«»()\n]{1,80})", masked)
    if not match:
        return None
    whole = match.group(1).rstrip()
    phrase = re.split(r"\s+(?:in|on|at|during|to|after|before|when|while|who|which|of the|as)\s", whole)[0]
    phrase = phrase.strip().replace("\x00", ".")
    if not phrase or phrase.split()[0].lower() in _STOP_SUBJECT - {"he", "she"} or len(phrase.split()) > 8:
        return None
    if not _SUBJECT_RE.search(phrase):
        return None
    if re.fullmatch(_TITLE, phrase):
        # "the chairman of the trade union Andris Kalninsh." / "the company's founder, Kaspars Briedis."
        named = _TRAILING_NAME.search(whole)
        if named and re.match(r"\s*(?:[.!?]|$)", masked[match.end(1):]) and len(whole.split()) <= 12:
            return whole.replace("\x00", "."), match.start(1)
        appositive = re.match(r",\s+(" + _NAME + r")\s*(?:[.!?]|$)", masked[match.end(1):])
        if appositive and len(appositive.group(1).split()) >= 2:
            return appositive.group(1).replace("\x00", "."), match.end(1) + appositive.start(1)
    return phrase, match.start(1)


def _clause(phrase: str) -> bool:
    """A pronoun with more words after it is a clause ("they would appeal"), not a speaker."""
    words = phrase.split()
    return len(words) > 1 and words[0].lower() in {*PRONOUNS, "it", "we", "i", "you"}


def _good_subject(subject: str | None) -> bool:
    return bool(subject) and subject.split()[0].lower() not in _STOP_SUBJECT - {"he", "she"}


def _reported_spans(body: str, direct: list[_Span]) -> list[_Span]:
    """Reported speech ("X said that …", "…, X said.", "according to X, …") that no direct quote covers."""
    taken = [(s.start, s.end) for s in direct]
    out: list[_Span] = []
    for sent_start, sent_end in _sentences(body):
        sentence = body[sent_start:sent_end]
        if re.search(r"[\"“”«»„]", sentence):
            continue
        span = _reported_in(sentence, sent_start)
        if span is None or any(lo < span.end and span.start < hi for lo, hi in taken):
            continue
        if len(body[span.start:span.end].split()) >= 3:
            out.append(span)
    return out


def _sentences(body: str) -> list[tuple[int, int]]:
    """Sentence spans; a period after an abbreviation ("p.m.", "Sgt.", "Ave.") does not end a sentence."""
    out = []
    for line in re.finditer(r"[^\n]+", body):
        lo = line.start()
        for end in re.finditer(r"[.!?](?=\s+[A-ZА-ЯЁ\"“«`]|\s*$)", line.group(0)):
            before = re.search(r"(\S+)$", line.group(0)[:end.start()])
            token = before.group(1) if before else ""
            if end.group(0) == "." and (token in _ABBREVIATIONS or len(token) == 1 or "." in token):
                continue
            out.append((lo, line.start() + end.end()))
            lo = line.start() + end.end()
        if lo < line.end() and body[lo:line.end()].strip():
            out.append((lo, line.end()))
    return out


def _reported_in(sentence: str, offset: int) -> _Span | None:
    text = sentence.rstrip()
    core_end = len(text) - (1 if text[-1:] in ".!?" else 0)
    core_end = len(text[:core_end].rstrip())
    lead = len(text) - len(text.lstrip())
    according = re.match(r"\s*(?P<v>According to|По словам)\s+(?P<s>[^,]{2,80}),\s+", text)
    if according:
        return _reported_span(offset, according.end(), core_end, according.group("v"), according.group("s"),
                              offset + according.start("s"))
    # "…, Hecht said (in a statement)." / "…, said police."
    tail = re.search(rf",\s*[—–-]?\s*(?P<p>[^,]{{1,70}}?)\s+(?P<v>{_VERB})(?P<r>\s+(?:in|on|at|to|during|after|before|while|when|"
                     rf"last|this|earlier|late|early|of|amid|following|over|with|as|ahead|despite|{_WEEKDAYS})"
                     rf"\b[^,]{{0,80}})?$|,\s*(?P<v3>according to)\s+(?P<p3>[^,]{{2,80}})$|"
                     rf",\s*[—–-]?\s*(?P<v2>{_VERB})\s+(?P<p2>[^,]{{1,70}})$", text[:core_end])
    if tail and tail.start() > lead + 12:
        if tail.group("v"):
            phrase = _ADVERBS.sub("", tail.group("p")).strip()
            found = (phrase, 0) if _SUBJECT_RE.fullmatch(phrase) and _good_subject(phrase) else None
            if found:
                return _reported_span(offset, lead, tail.start(), tail.group("v"), found[0],
                                      offset + tail.start("p"))
        elif tail.group("v3"):
            return _reported_span(offset, lead, tail.start(), tail.group("v3"), tail.group("p3"),
                                  offset + tail.start("p3"))
        elif tail.group("v2"):
            found = subject_after(tail.group("p2"))
            if found and not _clause(found[0]):  # "…, said police", not "…, said they would appeal"
                return _reported_span(offset, lead, tail.start(), tail.group("v2"), found[0],
                                      offset + tail.start("p2") + found[1])
    # "X said (on Sunday) that …" / "X said the victims were …"
    for verb in _VERB_RE.finditer(text[:core_end]):
        found = subject_before(text[:verb.start()])
        if not found or (found[1] > lead + 60 and not _after_intro(text[:found[1]])) or re.search(
                r"\b(?:with|to|from|by|in|of|for|about)\s+(?:[A-Z][\w\-]*\s+)*$", text[:found[1]]):
            continue
        rest = text[verb.end():core_end]
        that = re.match(r"(?:\s+(?:on|in|at|last|earlier|during|after|late|early)\b[^,]{0,40}?)?(?:,?\s+that|,\s*что)\s+",
                        rest)
        if that:
            start = verb.end() + that.end()
        elif verb.group(0) in _NO_THAT_VERBS and _CLAUSE_START.match(rest):
            start = verb.end() + 1
        elif verb.group(0) in ("told", "tells", "tell") and _TOLD_OBJECT.match(rest):
            start = verb.end() + _TOLD_OBJECT.match(rest).end()
        else:
            continue
        if core_end - start < 12:
            continue
        return _reported_span(offset, start, core_end, verb.group(0), found[0], offset + found[1])
    return None


def _after_intro(text: str) -> bool:
    """The subject follows an introductory phrase ("Assessing the summit, the spokesman said …")."""
    return bool(re.search(r",\s*(?:(?:the|a|an)\s+)?$", text, flags=re.IGNORECASE))


def _reported_span(offset: int, start: int, end: int, cue: str, subject: str, subject_at: int) -> _Span:
    return _Span(offset + start, offset + end, "reported", cue=cue, subject=subject, subject_start=subject_at,
                 confidence=0.7)


def _attribute_direct(body: str, span: _Span) -> None:
    """Subject and cue from the text right after the quote, else right before it, else its sentence."""
    para_end = body.find("\n", span.end)
    para_end = para_end if para_end >= 0 else len(body)
    after_start = span.end + len(body[span.end:para_end]) - len(body[span.end:para_end].lstrip("”\"»“'’`,.!? —–-"))
    after = body[after_start:para_end]
    first_end = re.search(rf"{_NOT_ABBREV}[.!?;]|[“\"«]|,\s*[“\"«]", after)
    clause = after[:first_end.start() if first_end else len(after)]
    verb = _VERB_RE.search(clause)
    if verb and after_start > span.end:
        found = subject_before(clause[:verb.start()]) if clause[:verb.start()].strip() else None
        if found and found[1] == 0:
            _set(span, found[0], after_start + found[1], verb.group(0), 0.9)
            return
        if not clause[:verb.start()].strip():
            found = subject_after(clause[verb.end():])
            if found:
                _set(span, found[0], after_start + verb.end() + found[1], verb.group(0), 0.9)
                return
    para_start = body.rfind("\n", 0, span.start) + 1
    before = body[para_start:span.start].rstrip("“\"«„‘` ")
    pieces = re.split(r"(?<=[.!?])[”\"»]?\s+(?=[A-ZА-ЯЁ“\"«])|[”\"»]\s+", before)
    before_clause = pieces[-1]
    clause_start = para_start + len(before) - len(before_clause)
    if before_clause.strip():
        span.kind = "direct" if re.search(r"[:,—–]\s*$", before_clause) else "partial"
    according = re.search(r"\b(?P<v>[Aa]ccording to|[Пп]о словам)\s+(?P<s>[^,]{2,80})", before_clause)
    if according:
        _set(span, according.group("s"), clause_start + according.start("s"), according.group("v"), 0.8)
        return
    for verb in reversed(list(_VERB_RE.finditer(before_clause))):
        if verb.group(0) in _PASSIVE_CUES and _PASSIVE.search(before_clause, 0, verb.start()):
            return  # "Biden was asked whether Putin was “a killer”": the words are the question's, not his
        found = subject_before(before_clause[:verb.start()])
        if found:
            _set(span, found[0], clause_start + found[1], verb.group(0), 0.85)
            return
        found = subject_after(before_clause[verb.end():]) if _INVERTS.fullmatch(verb.group(0)) else None
        if found:
            _set(span, found[0], clause_start + verb.end() + found[1], verb.group(0), 0.8)
            return
    participle = _PARTICIPLE.search(before_clause)
    if participle:  # "Putin, however, was more muted in his reply, saying that judging others “is like …”"
        found = _clause_subject(before_clause[:participle.start()])
        if found:
            _set(span, found[0], clause_start + found[1], participle.group("v").split()[0], 0.7)
            return
    sentence_end = re.search(r"[.!?](?:\s|$)", after)
    tail = after[:sentence_end.end() if sentence_end else len(after)]
    for verb in _VERB_RE.finditer(tail):
        found = subject_before(tail[:verb.start()])
        if found:
            _set(span, found[0], after_start + found[1], verb.group(0), 0.7)
            return
        if _INVERTS.fullmatch(verb.group(0)) and re.search(r"[,—–]\s*$", tail[:verb.start()]):
            found = subject_after(tail[verb.end():])
            if found:
                _set(span, found[0], after_start + verb.end() + found[1], verb.group(0), 0.7)
                return


def _clause_subject(clause: str) -> tuple[str, int] | None:
    """The subject opening a clause whose own verb is not a speech verb ("Putin, however, was more muted …").

    The shortest name, pronoun or title at the very start that a comma or a lower-case word (the verb) follows:
    "Police arrested the man" gives "Police", "John Smith, 45, left" gives "John Smith"; "In a speech on Monday,
    …" gives nothing rather than a guess.
    """
    text = re.sub(r"^(?:(?:But|And|However|Meanwhile|Still|Yet|Now|Но|А|Однако),?\s+)", "", clause)
    skipped = len(clause) - len(text)
    if not text or text.split()[0] in _CLAUSE_OPENERS or re.match(r"\w{3,}ing\s+[a-z]", text):
        return None  # "In a speech, …", "Opening the hearing, Henry Waxman …"
    for end in (m.end() for m in itertools.islice(re.finditer(r"[\w\-’'.]+", text), 10)):
        subject = text[:end]
        if subject.lower() in _DETERMINERS or re.search(r"['’]s$", subject) or not (
                _SUBJECT_RE.fullmatch(subject) or _TITLED_NAME.fullmatch(subject)):
            continue  # "It's", "Smith's (family)"
        rest = text[end:]
        following = re.match(r"\s*([\w\-’']+)", rest)
        if following and _AGENT_RE.fullmatch(following.group(1)):
            continue  # "Obama spokesman Bill Burton", "Gaston County commissioners chairman …"
        if re.match(r"\s*(?:,|[a-zа-яё])", rest):
            return (subject, skipped) if _good_subject(subject) and not _clause(subject) else None
    return None


def _set(span: _Span, subject: str, at: int, cue: str, confidence: float) -> None:
    span.subject, span.subject_start, span.cue, span.confidence = subject, at, cue, confidence




class _Resolver:
    """Turns a subject phrase into (entity key, display name) using the article's mentions and roles."""

    def __init__(self, article: Article, quoted: list[tuple[int, int]]) -> None:
        self.body = article.body
        self.entities: dict[str, Entity] = {e.key: e for e in article.entities}
        inside = sorted(quoted)
        self.mentions: list[Mention] = [m for m in sorted(article.mentions, key=lambda m: m.start)
                                        if self.entities.get(m.entity_key, None) is not None
                                        and not _inside(m.start, inside)]
        self.person_mentions = [m for m in self.mentions if self.entities[m.entity_key].kind == "PER"]
        self.starts = [m.start for m in self.person_mentions]
        self.last_speaker: tuple[str | None, str] | None = None
        self.last_speaker_at = -1

    def resolve(self, subject: str, at: int) -> tuple[str | None, str | None]:
        subject = subject.strip()
        lowered = subject.lower()
        if lowered in PRONOUNS:
            return self._pronoun(PRONOUNS[lowered], at)
        overlapping = [m for m in self.mentions if m.start < at + len(subject) and m.end > at]
        for mention in reversed(overlapping):  # the name ends the phrase: "IMPD Sgt. Kendale Adams"
            if self.entities[mention.entity_key].kind == "PER":
                entity = self.entities[mention.entity_key]
                return entity.key, entity.name
        titled = re.search(rf"{_AGENT}$", lowered) or _RUSSIAN_TITLE.match(lowered)
        group = role_group(lowered) if titled and not _plural(lowered) else None
        if group is not None:
            found = self._by_role(group, at)
            if found:
                return found
            if group == ROLE_GROUPS[0] and self.last_speaker:
                return self.last_speaker
        # "Kurzeme Polymers said", "The State Environmental Service said"; not "глава МИД России", where the country
        # ending the Russian title is whose the title is, not who spoke
        for mention in () if _RUSSIAN_TITLE.match(lowered) else overlapping:
            if mention.text == subject or mention.end == at + len(subject):
                entity = self.entities[mention.entity_key]
                return entity.key, entity.name
        name = re.sub(r"^(?:the|a|an|his|her|their)\s+", "", subject, flags=re.IGNORECASE)
        head = _NAME_HEAD.search(self.body, max(0, at - 80), at) if name == subject and name[:1].isupper() else None
        if head:  # "the State Department claimed": the shortest subject was "Department"
            name = head.group(1) + name
        return None, name or None

    def _pronoun(self, gender: str, at: int) -> tuple[str | None, str | None]:
        """Most recent compatible person; the last speaker wins unless someone new was named since."""
        if gender == "p":  # "they" continues a plural body that spoke last ("Police said … They say …")
            last = self.last_speaker
            return last if last and last[0] is None and re.search(r"(?:police|s)$", last[1] or "") else (None, None)
        index = bisect_right(self.starts, at) - 1
        while index >= 0:
            mention = self.person_mentions[index]
            entity = self.entities[mention.entity_key]
            if guess_gender(entity) in (gender, "?") and not self._oblique(mention, gender):
                if self.last_speaker and mention.start < self.last_speaker_at and self._speaker_gender() in (gender, "?"):
                    return self.last_speaker
                return entity.key, entity.name
            index -= 1
        if self.last_speaker:
            return self.last_speaker
        return None, None

    def _oblique(self, mention: Mention, gender: str) -> bool:
        """A person named as an object ("asked by prosecutor X", "told Judge X") is no antecedent for "she" when
        the last speaker fits the pronoun: the subject keeps talking."""
        if not self.last_speaker or self._speaker_gender() not in (gender, "?"):
            return False
        before = self.body[max(0, mention.start - 40):mention.start]
        return bool(_OBJECT_BEFORE.search(before))

    def _speaker_gender(self) -> str:
        key = self.last_speaker[0] if self.last_speaker else None
        return guess_gender(self.entities[key]) if key in self.entities else "?"

    def _by_role(self, group: tuple[str, ...], at: int) -> tuple[str, str] | None:
        people = [e for e in self.entities.values() if e.kind == "PER" and any(
            role_group(r.lower()) == group for r in e.roles)]
        if not people:
            return None
        keys = {e.key for e in people}
        index = bisect_right(self.starts, at) - 1
        while index >= 0:
            if self.person_mentions[index].entity_key in keys:
                entity = self.entities[self.person_mentions[index].entity_key]
                return entity.key, entity.name
            index -= 1
        entity = sorted(people, key=lambda e: e.key)[0]
        return entity.key, entity.name


def _plural(subject: str) -> bool:
    """"Prosecutors", "officials": a body of people, never one person found through a role."""
    head = subject.split()[-1] if subject.split() else ""
    return head.endswith(("ors", "ers", "als", "ists", "ives", "ies", "ants", "ents", "men")) or head in {"police"}


def _inside(position: int, spans: list[tuple[int, int]]) -> bool:
    index = bisect_right(spans, (position, 10**12)) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]
