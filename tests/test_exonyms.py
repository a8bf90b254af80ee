"""The table of names that cross EN/RU by translation, and how event grouping's cross-language keys use it."""

from __future__ import annotations

from storyline.extract.exonyms import Exonym, case_forms, english_name, exonym
from storyline.represent.pairs import script_keys
from storyline.web.search import translated_query


def test_every_spelling_and_case_form_finds_one_entry() -> None:
    lithuania = Exonym("LOC", "Lithuania")
    assert {exonym(n) for n in ("Lithuania", "Литва", "Литвы", "Литве", "Литву", "Литвой", "LITHUANIA")} == {lithuania}
    united_states = {exonym(n) for n in ("the United States", "U.S.", "US", "USA", "America", "США", "Америки",
                                         "Соединённые Штаты", "Соединенные Штаты")}
    assert united_states == {Exonym("LOC", "United States")}
    assert exonym("Египте") == Exonym("LOC", "Egypt")  # an irregular form, listed
    assert exonym("Шри-Ланке") == Exonym("LOC", "Sri Lanka")  # the tail of a hyphenated name declines
    assert exonym("ЕС") == exonym("Евросоюза") == Exonym("ORG", "European Union")
    assert exonym("Jekabpils") is None and exonym("Песков") is None


def test_case_forms_follow_the_ending() -> None:
    assert case_forms("польша") == ["польша", "польши", "польше", "польшу", "польшей"]  # hushing stem: -и, -ей
    assert case_forms("москва") == ["москва", "москвы", "москве", "москву", "москвой"]
    assert case_forms("китай") == ["китай", "китая", "китаю", "китаем", "китае"]
    assert case_forms("токио") == ["токио"]  # indeclinable


def test_english_name_is_for_russian_words_only() -> None:
    assert english_name("Литве") == "Lithuania" and english_name("США") == "United States"
    assert english_name("Lithuania") is None  # English text is keyed as it is
    assert english_name("Пескова") is None


def test_translated_names_meet_across_scripts_in_grouping_keys() -> None:
    russian = script_keys("Президент Литвы встретился в Вильнюсе с послом США.")
    english = script_keys("The president of Lithuania met the United States ambassador in Vilnius.")
    shared = set(russian) & set(english)
    assert {"x:ltn", "x:vlns", "x:ntd", "x:stts"} <= shared, (russian, english)
    assert "x:ltv" not in russian  # the transliterated "Litvy" key is replaced, not added
    assert script_keys("НАТО и ОБСЕ") == {}  # English names that are abbreviations: nothing in English meets them


def test_search_expands_unquoted_names_to_both_languages() -> None:
    query, names = translated_query("United States sanctions")
    assert names == ["United States"]
    assert query.startswith("(") and '"США"' in query and '"Америки"'.lower() in query.lower()
    assert query.endswith('AND "sanctions"')
    assert translated_query('"Moscow"') == ('"Moscow"', []), "quoted: as written"
    assert translated_query("Mosc*") == ('"Mosc"*', []), "a prefix is the user's own morphology"
    assert translated_query("us") == ('"us"', []), "a stopword alone is never a country"
    assert '"us"' not in translated_query("USA")[0].lower().split(" or "), "nor is it one of the spellings"
