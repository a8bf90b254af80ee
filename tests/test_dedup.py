"""Near-duplicate marking: syndicated copies point to their earliest origin, in any input order, and pages
that share only site furniture are not copies."""

from __future__ import annotations

import random
from datetime import datetime

from storyline.config import Config
from storyline.group.dedup import CopyIndex, find_duplicates
from storyline.model import Article, DateGuess
from storyline.represent.minhash import MinHasher, jaccard

STORY = (
    "Ice jam floods Jekabpils. About 420 residents of the low-lying Mežāre district were evacuated overnight after "
    "an ice jam on the Daugava pushed the river three metres above its normal level, the State Fire and Rescue "
    "Service said on Monday. Water entered some 60 houses and the bridge to Krustpils was closed to traffic while "
    "crews tried to break the jam with explosives. Mayor Raivis Ragainis said a school gym had been opened for "
    "families who could not stay with relatives, and that drinking water was being delivered by truck. "
    "Forecasters expect temperatures to stay above freezing for the rest of the week, which could free the ice but "
    "would also bring more meltwater down from Belarus, so the service asked residents of the riverside streets to "
    "keep their documents and medicines packed. The government will discuss emergency aid for the town on Tuesday, "
    "and insurers said claims for flooded cellars and cars could be filed online from Wednesday morning."
)
FURNITURE = (
    "Just One More Thing... We have sent you a verification email. Please check your email and click on the link "
    "to activate your profile. If you do not receive the verification message within a few minutes of signing up, "
    "please check your Spam or Junk folder. By submitting your registration information, you agree to our Terms of "
    "Service and Privacy Policy, and you consent to receive news by email."
)


def article(aid: str, title: str, body: str, day: str | None) -> Article:
    date = DateGuess(datetime.fromisoformat(day), 1.0, "metadata") if day else None
    return Article(id=aid, title=title, body=body, date=date)


ORIGIN = article("bw-flood", "Ice jam floods Jekabpils, 420 residents evacuated", STORY, "2024-03-18")
COPY = article("end-flood", "Ice jam flooded Jekabpils, 420 residents were evacuated",
               STORY + " Follow us on social media for more regional news.", "2024-03-18")
SECOND_COPY = article("aa-flood", "Jekabpils flood: 420 evacuated", "Published by partner outlet. " + STORY, "2024-03-19")
OTHER = article("bw-fire", "Fire destroys sawmill in Valmiera",
                "A fire destroyed a sawmill on the edge of Valmiera on Wednesday night, the rescue service said. No one "
                "was hurt, but the blaze burned for six hours and smoke forced the closure of the Rīga road. The owner "
                "said 40 workers would be moved to the company's plant in Cēsis while the site is rebuilt over the "
                "coming months, and that the cause of the fire was not yet known to investigators.", "2024-03-18")


def test_copies_point_to_the_earliest_report_in_any_order() -> None:
    articles = [COPY, OTHER, SECOND_COPY, ORIGIN]
    expected = {"end-flood": "bw-flood", "aa-flood": "bw-flood"}
    for seed in range(4):
        random.Random(seed).shuffle(articles)
        assert find_duplicates(articles, Config()) == expected


def test_pages_that_share_only_furniture_are_not_copies() -> None:
    first = article("wsb-1", "4 people shot in southeast Atlanta", FURNITURE, "2016-05-14")
    second = article("kdh-2", "Police identify four killed in Killeen shooting", FURNITURE, "2016-05-15")
    assert jaccard(MinHasher().signature(first.body), MinHasher().signature(second.body)) == 1.0
    assert find_duplicates([first, second], Config()) == {}


def test_a_republication_months_later_is_not_marked_as_a_copy() -> None:
    late = article("late-flood", ORIGIN.title, STORY, "2024-09-30")
    assert find_duplicates([ORIGIN, late], Config()) == {}
    undated = article("undated-flood", ORIGIN.title, STORY, None)
    assert find_duplicates([ORIGIN, undated], Config()) == {"undated-flood": "bw-flood"}


def test_short_texts_are_never_copies() -> None:
    short = [article(f"s{i}", "Storm warning", "Storm warning for the coast tonight, the weather service said.", None)
             for i in range(3)]
    assert find_duplicates(short, Config()) == {}


def test_a_copy_index_fed_in_date_order_marks_what_find_duplicates_marks() -> None:
    """The stream's rule is the corpus rule: batch by batch in (date, id) order, the same origins."""
    index = CopyIndex(Config(), window_days=30)
    assert index.mark([ORIGIN, OTHER]) == ({}, [])
    assert index.mark([SECOND_COPY, COPY]) == ({"end-flood": "bw-flood", "aa-flood": "bw-flood"}, [])
    assert find_duplicates([ORIGIN, OTHER, SECOND_COPY, COPY], Config()) == {"end-flood": "bw-flood",
                                                                           "aa-flood": "bw-flood"}


def test_a_late_original_takes_over_the_copies_that_came_first() -> None:
    index = CopyIndex(Config(), window_days=30)
    assert index.mark([SECOND_COPY]) == ({}, [])
    assert index.mark([COPY]) == ({}, [("aa-flood", "end-flood")])  # an earlier copy: the root so far
    assert index.origin_of("aa-flood") == "end-flood"
    assert index.mark([ORIGIN]) == ({}, [("end-flood", "bw-flood")])
    assert {a: index.origin_of(a) for a in ("aa-flood", "end-flood", "bw-flood")} == \
        {"aa-flood": "bw-flood", "end-flood": "bw-flood", "bw-flood": None}


def test_a_copy_index_forgets_what_falls_out_of_its_window() -> None:
    index = CopyIndex(Config(), window_days=30)
    index.mark([ORIGIN])
    months_later = article("oct-other", "Fire destroys sawmill in Valmiera", OTHER.body, "2024-05-02")
    index.mark([months_later])
    assert "bw-flood" not in index and len(index) == 1
    assert index.mark([article("late-copy", COPY.title, COPY.body, "2024-05-03")]) == ({}, [])  # its origin is gone


def test_shingle_hashes_are_the_crc32s_of_the_shingles() -> None:
    """The signature hashes shingles from one encoded buffer: the same set as hashing each shingle's string."""
    import zlib

    from storyline.represent.minhash import _shingle_hashes, shingles

    rng = random.Random(3)
    words = ["Riga", "dockers", "strike", "порт", "Рижский", "ёлка", "naïve", "x", "2024", "—", "a\u00a0b"]
    texts = ["", "one", "two words", "Один два три четыре", "  spaced\t\tout   words here now  "]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(0, 40))) for _ in range(200)]
    for text in texts:
        for size in (3, 5):
            expected = {zlib.crc32(s.encode("utf-8")) for s in shingles(text, size)}
            assert set(_shingle_hashes(text, size).tolist()) == expected, text
