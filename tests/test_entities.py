"""EntityRecognizer with the real spaCy and natasha models: canonical keys across spellings and languages."""

from __future__ import annotations

import re

import pytest

from storyline.extract.entities import (
    EntityRecognizer,
    _ArticleNames,
    _finish,
    _Found,
    abbreviations,
    apposition_names,
    clean_name,
    entity_key,
    fold_token,
    is_abbreviation,
    name_skeleton,
    reconcile_entities,
    reconcile_names,
    role_before,
    same_name,
    speaker_names,
    transliterate,
)
from storyline.model import Article


@pytest.fixture(scope="module")
def recognizer() -> EntityRecognizer:
    return EntityRecognizer()


def _article(article_id: str, body: str, lang: str = "en", title: str = "") -> Article:
    return Article(id=article_id, title=title, body=body, lang=lang)


def test_russian_names_are_transliterated_to_the_english_key() -> None:
    assert transliterate("Дмитрий Песков") == "dmitriy peskov"
    assert entity_key("PER", "Дмитрий Песков") == entity_key("PER", "Dmitry Peskov") == "per:dmitry peskov"
    assert fold_token("Sergey") == fold_token("Sergei") == fold_token("Сергей")
    assert fold_token("Alexei") == fold_token("Алексей")


def test_one_key_for_peskov_in_english_and_russian(recognizer: EntityRecognizer) -> None:
    english = _article("en1", "Kremlin spokesman Dmitry Peskov said on Monday that talks were over. "
                              "Peskov added that Moscow would wait.")
    russian = _article("ru1", "Пресс-секретарь президента Дмитрий Песков заявил журналистам, что переговоры "
                              "окончены. Слова Дмитрия Пескова передает ТАСС.", lang="ru")
    recognizer.annotate([english, russian])
    reconcile_entities([english, russian])
    for article in (english, russian):
        keys = {e.key for e in article.entities if e.kind == "PER"}
        assert "per:dmitry peskov" in keys, keys
        peskov = [m for m in article.mentions if m.entity_key == "per:dmitry peskov"]
        assert len(peskov) == 2, peskov
        for mention in article.mentions:
            assert article.body[mention.start:mention.end] == mention.text
    roles = next(e.roles for e in english.entities if e.key == "per:dmitry peskov")
    assert any("spokesman" in r.lower() for r in roles), roles
    russian_roles = next(e.roles for e in russian.entities if e.key == "per:dmitry peskov")
    assert any("пресс-секретарь" in r.lower() for r in russian_roles), russian_roles


def test_surname_alone_resolves_to_the_full_name_seen_elsewhere_in_the_corpus(recognizer: EntityRecognizer) -> None:
    full = _article("a", "Russian Foreign Minister Sergei Lavrov said the talks had failed.")
    short = _article("b", "Lavrov said on Tuesday that the meeting would not take place.")
    recognizer.annotate([full, short])
    assert not any(m.entity_key == "per:sergei lavrov" for m in short.mentions)  # annotate: one article at a time
    reconcile_entities([short, full])
    assert any(m.entity_key == "per:sergei lavrov" for m in short.mentions), short.mentions
    lavrov = next(e for e in full.entities if e.key == "per:sergei lavrov")
    assert "Lavrov" in lavrov.aliases and "Sergei Lavrov" in lavrov.aliases
    # the article that says only "Lavrov" names him as the corpus does (its quotes' speaker name too)
    assert next(e for e in short.entities if e.key == "per:sergei lavrov").name == "Sergei Lavrov"


def test_names_are_propagated_beyond_the_tagged_windows(recognizer: EntityRecognizer) -> None:
    filler = "The weather stayed mild and the market opened late. " * 60
    body = f"Mayor Anna Berg opened the bridge on Monday. {filler}Berg later left the city."
    article = _article("c", body)
    recognizer.annotate([article])
    late = [m for m in article.mentions if m.entity_key == "per:anna berg" and m.start > len(body) - 40]
    assert late and body[late[0].start:late[0].end] == "Berg"


def test_a_shared_surname_goes_to_its_bearer_not_to_the_first_key_in_the_alphabet(
        recognizer: EntityRecognizer) -> None:
    """Timeline17 had all 340 "McCain" of a blog credited to Cindy McCain (named 6 times, John 42): a tie of keys."""
    cases = [
        ("per:john mccain", "McCain", "Cindy McCain introduced her husband in Phoenix. John McCain thanked the crowd. "
                                      "John McCain promised lower taxes. Later John McCain flew to Denver. McCain "
                                      "will campaign in Ohio."),
        ("per:erbie lee bowser", "Bowser", "Erbie Lee Bowser, 44, faces four counts of murder. Police said he shot "
                                           "Zina Bowser at her home. Zina Bowser had sought a divorce in 2013. Bowser "
                                           "served in the Army."),
        ("per:john jonas", "Jonas", "Tasha Jonas, 11, was rarely seen outside. Police believe Lieutenant Colonel John "
                                    "Jonas shot his daughter. A neighbour said Jonas was close to retirement."),
    ]
    for expected, surname, body in cases:
        article = _article("s", body)
        recognizer.annotate([article])
        bare = body.rindex(surname + " ")  # the last, lone surname
        bare_key = next(m.entity_key for m in article.mentions if m.start == bare)
        assert bare_key == expected, body


def test_a_word_opening_the_sentence_is_not_a_first_name(recognizer: EntityRecognizer) -> None:
    """Timeline17: "If McCain", "What Cheney", "While Suhr" were people of their own (23 mentions of "If McCain")."""
    body = ("John McCain spoke in Denver on Monday. Has his thought process grown slower?\n"
            "If McCain says he can debate Barr, Americans would see that. What Cheney said was worse.")
    assert [(f.kind, f.name) for f in speaker_names(body)] == [("SURNAME", "McCain"), ("SURNAME", "Cheney")]
    article = _article("w", body)
    recognizer.annotate([article])
    keys = {e.key for e in article.entities}
    assert "per:john mccain" in keys
    assert not any(key.split(":", 1)[1].split()[0] in {"if", "what"} for key in keys), keys


def test_annotate_is_per_article_and_reconciliation_ignores_the_order(recognizer: EntityRecognizer) -> None:
    """Keys must not depend on the batch an article was annotated in, nor on the order of the corpus."""
    bodies = {"a": "Russian Foreign Minister Sergei Lavrov said the talks had failed.",
              "b": "Lavrov said on Tuesday that the meeting would not take place.",
              "c": "Flood water reached Jekabpils on Monday. Union leader Andris Kalnins said the strike goes on.",
              "d": "Kalnins told reporters in Jekabpils that the port was closed."}

    def annotated(batches: list[list[str]], order: list[str]) -> dict[str, tuple[object, object, object]]:
        articles = {key: _article(key, bodies[key]) for key in bodies}
        for batch in batches:
            recognizer.annotate([articles[key] for key in batch])
        reconcile_entities([articles[key] for key in order])
        return {key: (a.entities, a.mentions, a.ner_names) for key, a in articles.items()}

    whole = annotated([["a", "b", "c", "d"]], ["a", "b", "c", "d"])
    assert annotated([["d", "b"], ["c"], ["a"]], ["d", "c", "b", "a"]) == whole
    assert any(m.entity_key == "per:andris kalnins" and m.text == "Kalnins" for m in whole["d"][1])


def test_role_before_reads_appositions() -> None:
    body = "President Vladimir Putin’s press secretary, Dmitry Peskov, said"
    assert role_before(body, body.index("Dmitry")) == "President Vladimir Putin’s press secretary"
    assert role_before("He met Dmitry Peskov", 7) is None


def test_role_before_leaves_out_what_only_precedes_the_title() -> None:
    """Seed 000: "Neither Russian President Vladimir Putin", "the return to Moscow of Russian Ambassador …"."""
    for body, role in [("Neither Russian President Vladimir Putin", "Russian President"),
                       ("He announced the return to Moscow of Russian Ambassador to the US Anatoly Antonov",
                        "Russian Ambassador to the US"),
                       ("Kremlin spokesman Dmitry Peskov", "Kremlin spokesman"),
                       ("said University of California President Janet Napolitano", "University of California President"),
                       ("US Secretary of State Antony Blinken", "US Secretary of State")]:
        name = " ".join(body.split()[-2:])
        assert role_before(body, body.index(name)) == role, body


def test_skeletons_join_latin_cyrillic_and_inflected_spellings() -> None:
    assert name_skeleton("Андрис Калниньш") == name_skeleton("Andris Kalnins") == name_skeleton("Andris Kalninsh")
    assert name_skeleton("Екабпилс") == name_skeleton("Jekabpils")
    assert name_skeleton("Илзе Берзиня") == name_skeleton("Ilze Berzina")
    assert same_name("Айварса Круминьша", "Aivars Kruminsh")  # a genitive natasha could not lemmatise
    assert not same_name("Marta Ozola", "Mart Kask") and not same_name("Marta", "Mart")  # Latin: no endings


def _found(kind: str, name: str, body: str, title: bool = False) -> _Found:
    start = -1 if title else body.index(name)
    return _Found(kind, name, name, start, -1 if title else start + len(name))


def test_reconcile_takes_the_majority_kind_and_the_latin_spelling() -> None:
    bodies = {f"en{i}": "Flood water reached Jekabpils on Monday." for i in range(5)}
    bodies["ru"] = "Вода дошла до Екабпилса. Андрис Калниньш заявил, что всё хорошо."
    bodies["en9"] = "Union leader Andris Kalnins said the talks were over."
    names = {key: _ArticleNames([_found("ORG" if key in ("en0", "en1") else "LOC", "Jekabpils", body)])
             for key, body in bodies.items() if key.startswith("en") and key != "en9"}
    names["ru"] = _ArticleNames([_Found("LOC", "Екабпилс", "Екабпилса", 12, 21),
                                 _found("PER", "Андрис Калниньш", bodies["ru"])])
    names["en9"] = _ArticleNames([_found("ORG", "Andris Kalnins", bodies["en9"])])
    reconcile_names(bodies, names)
    kinds = {(f.kind, f.name) for n in names.values() for f in n.found}
    assert kinds == {("LOC", "Jekabpils"), ("PER", "Andris Kalnins")}, kinds
    assert names["ru"].found[0].surface == "Екабпилса"  # the text as written stays the alias


def test_reconcile_repairs_truncated_and_run_together_spans() -> None:
    cut = "Valiukas spoke from the dock of Vilnius Regional Court on Tuesday."
    full = "The trial opened at Vilnius Regional Court. Ilze Berzina, head of KTG, watched."
    joined = "The head of the company Kundzinsala Terminal Group Ilze Berzina declared a deal."
    names = {"cut": _ArticleNames([_found("ORG", "Vilnius Regional", cut)]),
             "full": _ArticleNames([_found("ORG", "Vilnius Regional Court", full),
                                    _found("PER", "Ilze Berzina", full)]),
             "joined": _ArticleNames([_found("ORG", "Kundzinsala Terminal Group Ilze Berzina", joined)])}
    reconcile_names({"cut": cut, "full": full, "joined": joined}, names)
    repaired = names["cut"].found[0]
    assert repaired.name == "Vilnius Regional Court" and cut[repaired.start:repaired.end] == "Vilnius Regional Court"
    split = {(f.kind, f.name, joined[f.start:f.end]) for f in names["joined"].found}
    assert split == {("ORG", "Kundzinsala Terminal Group", "Kundzinsala Terminal Group"),
                     ("PER", "Ilze Berzina", "Ilze Berzina")}


def test_a_span_that_lost_its_first_words_becomes_the_whole_name() -> None:
    """Seed 000: spaCy tagged "Fakty" (a place) in "the Argumenty i Fakty newspaper"; seed 002 tagged it whole."""
    cut = "Peskov said in an interview with the Argumenty i Fakty newspaper published on Tuesday."
    whole = "Peskov told Argumenty i Fakty that talks were possible. Fakty is a word alone here."
    names = {"cut": _ArticleNames([_found("LOC", "Fakty", cut)]),
             "whole": _ArticleNames([_found("ORG", "Argumenty i Fakty", whole),
                                     _Found("LOC", "Fakty", "Fakty", whole.rindex("Fakty"), whole.rindex("Fakty") + 5)])}
    reconcile_names({"cut": cut, "whole": whole}, names)
    repaired = names["cut"].found[0]
    assert (repaired.kind, repaired.name) == ("ORG", "Argumenty i Fakty")
    assert cut[repaired.start:repaired.end] == "Argumenty i Fakty"
    assert {f.name for f in names["whole"].found} == {"Argumenty i Fakty", "Fakty"}  # alone, it stays itself


def test_titles_and_title_case_headlines_give_no_organisations(recognizer: EntityRecognizer) -> None:
    """Seeds 001 and 003: "Position of Force" from a Title-Case Headline, "Kremlin Spokesman" tagged ORG."""
    article = _article("t", "MOSCOW, January 24. Russia's Presidential Spokesman Dmitry Peskov said the position of "
                            "force would not work. Kremlin Spokesman Dmitry Peskov spoke to Rossiya-1 television.",
                       title="Russia Will Not Allow Americans to Speak to It from Position of Force: Spokesman")
    recognizer.annotate([article])
    reconcile_entities([article])
    names = {(e.kind, e.name) for e in article.entities}
    assert ("PER", "Dmitry Peskov") in names and ("LOC", "Russia") in names
    assert not any(kind != "PER" and ("Spokesman" in name or "Force" in name) for kind, name in names), names
    cut = _article("cut", "Russia expects dialogue with the US, and Russian President Vladimir Putin will respond, "
                          "Peskov said.", title="Russia expects dialogue, and Russian President Vladimir…")
    recognizer.annotate([cut])
    assert "Vladimir" not in {e.name for e in cut.entities}  # the first name of the title's cut name
    assert "per:vladimir putin" in {e.key for e in cut.entities}


def test_a_shorter_name_that_stands_alone_is_not_merged() -> None:
    body = ("Los Angeles County deputies closed the road. Narva Together won in Narva, and in Los Angeles "
            "the council met.")
    names = {"a": _ArticleNames([_found("LOC", "Los Angeles County", body), _Found("LOC", "Los Angeles", "Los Angeles",
                                                                                   body.rindex("Los Angeles"), -1),
                                 _found("ORG", "Narva Together", body),
                                 _Found("LOC", "Narva", "Narva", body.rindex("Narva"), -1)])}
    reconcile_names({"a": body}, names)
    assert {f.name for f in names["a"].found} == {"Los Angeles County", "Los Angeles", "Narva Together", "Narva"}


def test_one_person_across_english_russian_and_machine_translated_spellings(recognizer: EntityRecognizer) -> None:
    english = _article("e", "Union leader Andris Kalnins said the strike would go on. Kalnins told reporters so.")
    mt = _article("m", "The chairman of the trade union Andris Kalninsh said that the deal is honest.")
    russian = _article("r", "Председатель профсоюза докеров Андрис Калниньш заявил, что забастовка продолжится. "
                            "Калниньш добавил, что переговоры возможны.", lang="ru")
    recognizer.annotate([english, mt, russian])
    reconcile_entities([english, mt, russian])
    for article in (english, mt, russian):
        keys = {m.entity_key for m in article.mentions if "aln" in m.text or "алн" in m.text}
        assert keys == {"per:andris kalnins"}, (article.id, keys)


def test_a_full_find_cache_is_emptied_without_losing_the_batch_it_overflows_on() -> None:
    """The per-text caches are bounded; overflowing them mid-corpus once crashed a 100k ingest (KeyError)."""
    english = [_article(f"en{i}", f"Mayor Anna Berzina said the bridge in Riga would reopen on day {i}.",
                        title=f"Riga bridge update {i % 2}") for i in range(4)]
    russian = [_article(f"ru{i}", f"Мэр Анна Берзиня заявила, что мост в Риге откроют в день {i}.", lang="ru",
                        title=f"Новости Риги {i % 2}") for i in range(4)]
    small = EntityRecognizer(cache_size=3)
    for lo in range(0, 4, 2):  # the second batch repeats cached titles and overflows both caches
        small.annotate(english[lo:lo + 2] + russian[lo:lo + 2])
    reference = [_article(a.id, a.body, a.lang, a.title) for a in english + russian]
    EntityRecognizer().annotate(reference)
    assert [(a.entities, a.mentions, a.ner_names) for a in english + russian] == [
        (a.entities, a.mentions, a.ner_names) for a in reference]
    assert any(m.entity_key == "per:anna berzina" for m in english[3].mentions)


def test_translated_names_take_the_english_name_and_kind_of_the_table() -> None:
    english = "Lithuania and the U.S. agreed; the Kremlin objected."
    russian = "Литва и США договорились, в Кремле возразили."
    names = {"en": _ArticleNames([_found("LOC", "Lithuania", english), _found("LOC", "U.S.", english),
                                  _found("ORG", "Kremlin", english)]),
             "ru": _ArticleNames([_found("LOC", "Литва", russian), _found("LOC", "США", russian),
                                  _Found("LOC", "Кремль", "Кремле", russian.index("Кремле"), russian.index("Кремле") + 6)])}
    reconcile_names({"en": english, "ru": russian}, names)
    canonical = {key: {(f.kind, f.name) for f in n.found} for key, n in names.items()}
    assert canonical["en"] == canonical["ru"] == {("LOC", "Lithuania"), ("LOC", "United States"),
                                                  ("ORG", "Kremlin")}, canonical
    assert names["ru"].found[2].surface == "Кремле"  # the text as written stays the alias


def test_an_abbreviation_is_the_name_one_article_spells_it_out_as() -> None:
    """"KTG" alone in most articles, spelled out once (NER takes the bracket into the span or not): one entity
    under the full name, in English and Russian articles alike."""
    spelled = "Kundzinsala Terminal Group (KTG), which runs the terminal, raised its offer."
    inside = "The operator, Kundzinsala Terminal Group (KTG), declined to comment."
    alone = "KTG chief executive Ilze Berzina said the claims were unrealistic."
    russian = "Глава KTG Илзе Берзиня заявила, что требования нереалистичны."
    names = {"spelled": _ArticleNames([_found("ORG", "Kundzinsala Terminal Group", spelled)]),
             "inside": _ArticleNames([_Found("ORG", "Kundzinsala Terminal Group",
                                             "Kundzinsala Terminal Group (KTG)", 14, 46)]),
             "alone": _ArticleNames([_found("ORG", "KTG", alone), _found("PER", "Ilze Berzina", alone)]),
             "ru": _ArticleNames([_found("ORG", "KTG", russian), _found("PER", "Илзе Берзиня", russian)])}
    bodies = {"spelled": spelled, "inside": inside, "alone": alone, "ru": russian}
    assert inside[14:46] == "Kundzinsala Terminal Group (KTG)"
    assert abbreviations(spelled, names["spelled"].found) == abbreviations(inside, names["inside"].found) == [
        ("KTG", "Kundzinsala Terminal Group")]
    reconcile_names(bodies, names)
    organisations = {(key, f.kind, f.name) for key, n in names.items() for f in n.found if f.kind != "PER"}
    assert organisations == {(key, "ORG", "Kundzinsala Terminal Group") for key in bodies}, organisations


def test_an_abbreviation_spelled_out_as_two_names_stays_apart() -> None:
    """"PSC" stands for two bodies in this corpus: neither gets the other's mentions."""
    first = "The Port Safety Commission (PSC) closed the berth."
    second = "PSC (Public Service Commission) members met on Monday."
    third = "The PSC said nothing."
    names = {"first": _ArticleNames([_found("ORG", "Port Safety Commission", first)]),
             "second": _ArticleNames([_found("ORG", "PSC", second), _found("ORG", "Public Service Commission", second)]),
             "third": _ArticleNames([_found("ORG", "PSC", third)])}
    assert abbreviations(second, names["second"].found) == [("PSC", "Public Service Commission")]
    reconcile_names({"first": first, "second": second, "third": third}, names)
    assert {f.name for n in names.values() for f in n.found} == {"Port Safety Commission", "PSC",
                                                                 "Public Service Commission"}


def test_a_title_word_run_into_a_name_is_dropped_where_the_name_is_known_alone() -> None:
    """GVA: spaCy tagged "General Eric Holder" ("Attorney General Eric Holder") and "Security Janet Napolitano"
    ("Homeland Security Janet Napolitano"), each its own person with 22 and 4 quotes beside Eric Holder's; "Cheryl
    Boone Isaacs" was split into "Cheryl" and "Boone Isaacs" where another article said "Boone Isaacs"."""
    bodies = {
        "ag": "U.S. Attorney General Eric Holder will meet prosecutors. \"Justice will be done,\" Holder said.",
        "dhs": "Secretary of Homeland Security Janet Napolitano arrived on Monday.",
        "constable": "Constable Tim Fanning said the man was shot.",
        "alone": "Eric Holder and Janet Napolitano met Tim Fanning and Boone Isaacs on Friday.",
        "victim": "The academy's president, Cheryl Boone Isaacs, and Katrina Barack Obama spoke.",
        "dated": "Thu Jun 17 Oil reached the shore, Marcus Bell said.",
    }
    names = {key: _ArticleNames([]) for key in bodies}
    names["ag"].found = [_found("PER", "General Eric Holder", bodies["ag"])]
    names["dhs"].found = [_found("PER", "Security Janet Napolitano", bodies["dhs"])]
    names["constable"].found = [_found("PER", "Constable Tim Fanning", bodies["constable"])]
    names["alone"].found = [_found("PER", n, bodies["alone"])
                            for n in ("Eric Holder", "Janet Napolitano", "Tim Fanning", "Boone Isaacs")]
    names["victim"].found = [_found("PER", "Cheryl Boone Isaacs", bodies["victim"]),
                             _found("PER", "Katrina Barack Obama", bodies["victim"])]
    names["storm"] = _ArticleNames([_found("MISC", "Hurricane Katrina", "Hurricane Katrina hit."),
                                    _found("PER", "Barack Obama", "Hurricane Katrina hit. Barack Obama flew in.")])
    bodies["storm"] = "Hurricane Katrina hit. Barack Obama flew in."
    names["dated"].found = [_found("PER", "Thu Jun 17", bodies["dated"]), _found("PER", "Marcus Bell", bodies["dated"])]
    reconcile_names(bodies, names)
    spans = {key: [(f.name, bodies[key][f.start:f.end]) for f in n.found] for key, n in names.items()}
    assert spans["ag"] == [("Eric Holder", "Eric Holder")]
    assert spans["dhs"] == [("Janet Napolitano", "Janet Napolitano")]
    assert spans["constable"] == [("Tim Fanning", "Tim Fanning")]
    # a first name before a known name is one person's middle name; a storm's name is no first name
    assert spans["victim"] == [("Cheryl Boone Isaacs", "Cheryl Boone Isaacs"), ("Katrina", "Katrina"),
                               ("Barack Obama", "Barack Obama")]
    assert spans["dated"] == [("Marcus Bell", "Marcus Bell")]  # a dateline is no person


def test_only_initials_make_an_abbreviation() -> None:
    assert is_abbreviation("KTG", "Kundzinsala Terminal Group") and is_abbreviation("FPDU", "Free Port Dockers' Union")
    assert is_abbreviation("ГПСС", "Государственная пожарно-спасательная служба")
    assert is_abbreviation("SFRS", "State Fire and Rescue Service") and is_abbreviation("SFARS", "State Fire and Rescue Service")
    assert not is_abbreviation("KTG", "Kundzinsala Terminal") and not is_abbreviation("Riga", "Riga Is Great Always")
    assert not is_abbreviation("KTG", "KTG")  # one word spells out nothing
    person = "Kristaps Rudzitis (KR) spoke."  # people have initials, not abbreviations
    assert abbreviations(person, [_found("PER", "Kristaps Rudzitis", person)]) == []
    unrelated = "Valmiera Timber (VT) and Baltic Wire (XY) merged."
    assert abbreviations(unrelated, [_found("ORG", "Valmiera Timber", unrelated),
                                     _found("ORG", "Baltic Wire", unrelated)]) == [("VT", "Valmiera Timber")]


def test_a_russian_only_corpus_gets_the_english_key(recognizer: EntityRecognizer) -> None:
    russian = _article("ru", "Президент Литвы Гитанас Науседа прибыл в Вашингтон. В Литве ждут итогов визита.",
                       lang="ru")
    recognizer.annotate([russian])
    reconcile_entities([russian])
    keys = {e.key for e in russian.entities}
    assert {"loc:lithuania", "loc:washington"} <= keys, keys
    lithuania = next(e for e in russian.entities if e.key == "loc:lithuania")
    assert lithuania.name == "Lithuania" and lithuania.kind == "LOC"
    assert any(alias.startswith("Литв") for alias in lithuania.aliases), lithuania.aliases


def test_a_name_tagged_mostly_as_a_person_is_never_translated() -> None:
    body = "Jordan scored 40 points. Georgia beat Alabama."
    names = {f"a{i}": _ArticleNames([_found("PER", "Jordan", body), _found("LOC", "Georgia", body)]) for i in range(3)}
    names["b"] = _ArticleNames([_found("LOC", "Jordan", body)])  # one article's NER took him for the kingdom
    reconcile_names({key: body for key in names}, names)
    assert {(f.kind, f.name) for n in names.values() for f in n.found} == {("PER", "Jordan"), ("LOC", "Georgia")}


def test_the_articles_own_outlet_named_in_its_text_is_an_organisation(recognizer: EntityRecognizer) -> None:
    """spaCy calls "Baltic Wire" a place in "… told Baltic Wire"; when it is the article's outlet (or credited
    source) it is the news organisation."""
    body = ("Kundzinsala Terminal Group raised its pay offer to 9% over two years from 6%, while the Free Port "
            "Dockers' Union lowered its demand to 12% from 15%, people present at the talks told Baltic Wire.")
    anonymous, own = _article("a1", body), _article("a2", body)
    own.outlet = "Baltic Wire"
    recognizer.annotate([anonymous, own])
    kinds = [{e.name: e.kind for e in a.entities}.get("Baltic Wire") for a in (anonymous, own)]
    assert kinds == ["LOC", "ORG"], "the rule, not the tagger, makes it an organisation"
    assert "org:baltic wire" in {m.entity_key for m in own.mentions}


def test_a_city_tagged_as_a_person_is_a_place_unless_someone_bears_the_name(recognizer: EntityRecognizer) -> None:
    body = ('KTG chief executive Ilze Berzina said the company had "no illusions" about the damage. At least four '
            "shipping lines rerouted to Klaipeda and Gdansk during the strike, according to the port authority.")
    article = _article("c1", body)
    recognizer.annotate([article])
    assert {e.name: e.kind for e in article.entities}.get("Gdansk") == "LOC"
    assert "per:gdansk" not in {m.entity_key for m in article.mentions}
    named = _article("c2", "Coach Paul Jordan said Jordan would start on Sunday.")
    recognizer.annotate([named])
    assert all(e.kind == "PER" for e in named.entities if "Jordan" in e.name)


def test_a_river_named_with_and_without_the_word_is_one_place(recognizer: EntityRecognizer) -> None:
    with_word = _article("r1", "Residents were evacuated in Jekabpils on Monday after an ice jam on the Daugava River "
                               "pushed the water up by 2.4 metres overnight.")
    without = _article("r2", "The government approved emergency aid for households and businesses hit by last week's "
                             "flood in Jekabpils, where an ice jam on the Daugava forced 420 people from their homes.")
    recognizer.annotate([with_word, without])
    reconcile_entities([with_word, without])  # across articles, as a store is reconciled
    keys = [{m.entity_key for m in a.mentions if "daugava" in m.entity_key} for a in (with_word, without)]
    assert keys[0] == keys[1] and len(keys[0]) == 1 and next(iter(keys[0])).startswith("loc:daugava"), keys
    # spaCy alone calls the lone "Daugava" a person; a full name ending in it would keep the two apart
    person = _article("r3", "Coach Anna Daugava said Daugava had trained on the Daugava River all winter.")
    recognizer.annotate([person])
    reconcile_entities([person])
    lone = person.body.index("said Daugava") + len("said ")
    assert {m.entity_key for m in person.mentions if m.start == lone} == {"per:anna daugava"}


def test_capitalised_common_words_are_not_names(recognizer: EntityRecognizer) -> None:
    """Sentence starts and titles capitalise every word; the tagger takes some for names. The sample corpus
    sentences that did it: "Turnout" (PER), "Households", "Army", "Welfare" (ORG), "Стирол" (LOC)."""
    english = _article("w1", "Narva Together won 14 of 31 seats in the city council, the election commission said. "
                             "Turnout was 38.6%, down from 41.2% at the last election. Army sappers were preparing "
                             "to blast the ice jam. Households whose homes were flooded will get up to 5,000 euros, "
                             "Welfare Minister Marta Ozola said after the meeting at the Welfare Ministry.")
    russian = _article("w2", "Завод «Курземе полимерс» в Лиепае остановлен после того, как рядом с ним "
                             "зафиксировали концентрацию стирола выше нормы. «Дым шёл прямо на наши дома, дети кашляли "
                             "всё утро», — рассказала местная жительница Наталья.", lang="ru",
                       title="Стирол в воздухе Каросты: завод остановлен")
    recognizer.annotate([english, russian])
    names = {e.name for a in (english, russian) for e in a.entities}
    assert not names & {"Turnout", "Army", "Households", "Welfare", "Стирол"}, names
    assert {"Narva Together", "Marta Ozola"} <= names, "real names stay"
    assert any(e.name == "Лиепае" for e in russian.entities), russian.entities


def test_a_first_name_alone_is_not_a_place_but_an_inflected_town_is() -> None:
    """natasha sometimes tags a lone "Наталья" as a place; pymorphy3 guesses a first-name reading for the unknown
    "Лиепае" too, but not as its likeliest one."""
    body = "Завод в Лиепае остановлен. «Дым шёл прямо на наши дома», — рассказала местная жительница Наталья."
    article = _article("n1", body, lang="ru")
    _finish(article, _ArticleNames([_found("LOC", "Наталья", body), _found("LOC", "Лиепае", body)]), {})
    assert [(e.kind, e.name) for e in article.entities] == [("LOC", "Лиепае")]


def test_a_name_that_is_also_a_word_stays_where_the_text_uses_it_as_a_name(recognizer: EntityRecognizer) -> None:
    article = _article("w3", "Apple said on Monday it would open a plant in Riga. Shares of Apple rose 2%, and "
                             "the company said it would hire 300 people.")
    recognizer.annotate([article])
    assert "org:apple" in {e.key for e in article.entities}, "capitalised alone mid-sentence: a name"


def test_russian_organisations_keep_their_dependents_case(recognizer: EntityRecognizer) -> None:
    """Only the words up to the head noun go to the nominative: natasha alone (without its syntax parser) made
    "Министерство иностранные дела" and "Профсоюз докеры Свободный порт"."""
    article = _article("o1", "Представитель Министерства иностранных дел России заявила, что лидер Профсоюза "
                             "докеров Свободного порта ошибается. Сотрудники Государственной пожарно-спасательной "
                             "службы работали всю ночь, сообщили в Министерстве благосостояния.", lang="ru")
    recognizer.annotate([article])
    organisations = {e.name for e in article.entities if e.kind == "ORG"}
    assert {"Министерство иностранных дел", "Профсоюз докеров Свободного порта",
            "Государственная пожарно-спасательная служба", "Министерство благосостояния"} <= organisations, \
        organisations


def test_a_name_cut_inside_its_quotes_loses_the_stray_quote() -> None:
    assert clean_name("Партия «Нарва вместе") == "Партия Нарва вместе"
    assert clean_name("«Нарва вместе»") == "Нарва вместе"
    assert clean_name("партия «Нарва вместе» Tallinn") == "партия «Нарва вместе» Tallinn"


def test_a_name_ends_at_a_bracket_it_did_not_open() -> None:
    """A photo credit closes its bracket against the next words: "(Photo: Detroit News)Buy Photo"."""
    assert clean_name("Detroit News)Buy Photo") == "Detroit News"
    assert clean_name("CBS 8) - Officials") == "CBS 8"
    assert clean_name(")Buy Photo") == ""
    assert clean_name("Kimani (Kiki) Gray") == "Kimani (Kiki) Gray"
    assert clean_name("Kazakh Telecom (KTG)") == "Kazakh Telecom"


def test_roles_belong_to_the_person_they_describe(recognizer: EntityRecognizer) -> None:
    assert role_before("A former deputy of Tomas Valiukas", len("A former deputy of ")) is None, \
        "the deputy is the witness, not Valiukas"
    assert role_before("His lawyer, Marius Dambrauskas", len("His lawyer, ")) == "lawyer"
    article = _article("l1", "Prosecutor Egle Simkute asked for six years. The prosecutor, Egle Simkute, said the "
                             "evidence was clear. Vilnius prosecutor Egle Simkute declined to comment.")
    recognizer.annotate([article])
    roles = next(e.roles for e in article.entities if e.name == "Egle Simkute")
    assert len(roles) == len({role.casefold() for role in roles}), roles


def test_a_person_whose_last_word_names_an_institution_or_a_place_is_not_a_person() -> None:
    """spaCy's PER for "Washington Post" (184 mentions in 3,800 GVA, GVC and Timeline17 articles), "Placer County
    Sheriff", "Downing Street", "White House" (an exonym-table body); a surname that is also such a word stays a person's after a first name."""
    body = ("The Washington Post said the Placer County Sheriff had closed Downing Street. Emily Post, the "
            "etiquette writer, and Senator Frank Church were named at the White House. The Post said so.")
    article = _article("i", body)
    found = [_found("PER", name, body) for name in ("Washington Post", "Placer County Sheriff", "Downing Street",
                                                    "Emily Post", "Frank Church", "White House")]
    _finish(article, _ArticleNames([*found, _Found("PER", "Post", "Post", body.rindex("Post"), -1)]), {})
    kinds = {e.name: e.kind for e in article.entities}
    assert kinds == {"Washington Post": "ORG", "Placer County Sheriff": "ORG", "Downing Street": "LOC",
                     "Emily Post": "PER", "Frank Church": "PER", "White House": "ORG"} | (
                         {"Post": "ORG"} if "Post" in kinds else {})
    last = next(m for m in article.mentions if m.start == body.rindex("Post"))
    assert last.entity_key != "per:washington post"


def test_a_blog_footer_after_a_name_is_not_part_of_it(recognizer: EntityRecognizer) -> None:
    """Timeline17 comments: "… for Senator McCain Posted by : Anonymous" made "McCain Posted" a person, and every
    "Posted" of the page his mention (88)."""
    body = ("It was Campaign First all the way for Senator John McCain Posted by : Anonymous | September 19\n"
            "Keep digging that hole, Republicans. Posted by : kirk | September 19\nMcCain spoke in Ohio.")
    assert [f.name for f in apposition_names(body)] == ["John McCain"]
    article = _article("f", body)
    recognizer.annotate([article])
    assert not [m for m in article.mentions if m.text == "Posted"], article.mentions
    assert "per:john mccain" in {e.key for e in article.entities}


def test_a_name_ends_at_a_paragraph_break(recognizer: EntityRecognizer) -> None:
    """A byline over the first paragraph (GVA, KSTP): the tagger read "Scott Theisen\\n\\nAuthorities" as one
    person, whose last word then took every "Authorities said" of the corpus (50 GVA articles). A single line
    break stays inside a name: Timeline17 puts one sentence per line and splits "Ben S.\\nBernanke"."""
    body = ("Created: 11/25/2015 4:15 PM KSTP.com\n\nScott Theisen\n\nAuthorities have identified four men arrested "
            "in connection to the shooting of five people near a protest in Minneapolis, police said. Authorities "
            "said the men were arrested on Tuesday.")
    byline = Article("kstp", "Four men arrested after protest shooting", body, lang="en")
    alone = Article("other", "Two wounded in shooting", "Authorities said two men were wounded on Main Street in "
                    "Minneapolis late on Saturday. Authorities have made no arrests.", lang="en")
    recognizer.annotate([byline, alone])
    reconcile_entities([byline, alone])
    people = {e.name for a in (byline, alone) for e in a.entities if e.kind == "PER"}
    assert "Scott Theisen" in people and not any("Authorities" in name for name in people)
    assert not [m for m in alone.mentions if m.text == "Authorities"]


def test_a_bylines_desk_is_not_part_of_the_name(recognizer: EntityRecognizer) -> None:
    """BBC bylines: "Robert Peston Business editor" is Robert Peston, the Business desk's editor."""
    article = Article("bbc", "BP back in profit", "Robert Peston Business editor, BBC News\n\nBP's return to the black "
                      "shows how strong it is. Robert Peston said the figures surprised the City.", lang="en")
    recognizer.annotate([article])
    assert {e.name for e in article.entities if e.kind == "PER"} == {"Robert Peston"}


def test_a_name_mostly_written_after_the_is_no_person() -> None:
    """Timeline17: spaCy calls the rig "Deepwater Horizon" a person; the corpus writes "the Deepwater Horizon"
    in 75 % of its mentions, as it writes no person. A person named after "the" in passing stays a person.
    (The tagger's finds are given, as stored, so the rule is tested on exactly these mentions.)"""
    def article(aid: str, body: str, name: str) -> Article:
        found = [("PER", name, name, m.start(), m.end()) for m in re.finditer(re.escape(name), body)]
        found += [("PER", "Tony Hayward", "Tony Hayward", m.start(), m.end()) for m in re.finditer("Tony Hayward", body)]
        item = Article(aid, "", body, lang="en")
        item.ner_names = found
        return item

    rig = article("rig", "Crews on the Deepwater Horizon had drilled for weeks. Investigators said the Deepwater "
                  "Horizon lacked a shut-off. BP leased the Deepwater Horizon from Transocean. Deepwater Horizon "
                  "survivors said Tony Hayward visited the Deepwater Horizon site.", "Deepwater Horizon")
    family = article("family", "Prosecutors said Vito Genovese ran it. Vito Genovese denied it. The Vito Genovese "
                     "case rests on tapes. Vito Genovese said nothing, and the Vito Genovese family left.",
                     "Vito Genovese")
    reconcile_entities([rig, family])
    kinds = {e.name: e.kind for a in (rig, family) for e in a.entities}
    assert kinds == {"Deepwater Horizon": "ORG", "Tony Hayward": "PER", "Vito Genovese": "PER"}
    assert [m.entity_key for m in rig.mentions if m.text == "Deepwater Horizon"] == ["org:deepwater horizon"] * 5
