"""Deterministic synthetic news stream for benchmarks: ``python bench/generate.py --docs N --out FILE.jsonl``.

What it models, because grouping quality and speed depend on it:
- events of ten types (fire, flood, strike, court hearing, …) with a heavy-tailed size distribution (most events
  have one or two articles, a few have dozens), each with its own facts: place, date, people, numbers;
- near-miss events: the same type in the same period, different place/people/numbers (what must NOT merge);
- stories: chains of events on the same theme and place over months;
- outlets with their own page furniture (menus, promo, footers) in English and Russian, ~30 % Russian;
- syndicated copies (verbatim bodies with a credit line) and dates spread over several years.

Text is generated from templates here (no third-party text is stored or copied). Each line of the output is
``{"id", "title", "text", "date", "outlet", "url", "lang", "event", "story"}``: ``event`` and ``story`` are gold.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TextIO

SYLLABLES = ["ka", "ro", "mi", "ten", "vol", "sar", "ly", "dan", "ber", "gor", "ish", "an", "el", "mar", "tov", "in",
             "sk", "ova", "lev", "rad", "nik", "ost", "ul", "pra", "zen", "bro", "har", "vik"]
CITIES_RU = {"Riga": "Рига", "Narva": "Нарва", "Tartu": "Тарту", "Vilnius": "Вильнюс", "Kaunas": "Каунас",
             "Minsk": "Минск", "Pskov": "Псков", "Tver": "Тверь", "Kazan": "Казань", "Samara": "Самара",
             "Omsk": "Омск", "Perm": "Пермь", "Ufa": "Уфа", "Sochi": "Сочи", "Murmansk": "Мурманск"}

TYPES: dict[str, dict[str, list[str]]] = {
    "fire": {
        "en_title": ["Fire at {org} plant in {city} kills {n}", "{n} dead as blaze engulfs {org} factory in {city}",
                     "{city} factory fire: {n} killed, {m} injured"],
        "en": ["A fire broke out at the {org} plant in {city} on {day}, killing {n} workers.",
               "Firefighters said {m} people were taken to hospital with burns.",
               "The blaze started in a storage hall and spread to the roof, officials in {city} said.",
               "\"We lost {n} colleagues today,\" said {person}, a spokesperson for {org}.",
               "Investigators are examining whether safety rules were broken at the {org} site.",
               "It took {k} fire crews more than six hours to contain the flames in {city}."],
        "ru_title": ["Пожар на заводе {org} в городе {city_ru}: погибли {n} человек"],
        "ru": ["Пожар на заводе {org} в городе {city_ru} унёс жизни {n} рабочих.",
               "По данным спасателей, {m} человек госпитализированы с ожогами.",
               "«Мы потеряли {n} коллег», — заявил представитель компании {person}.",
               "Следователи проверяют соблюдение правил безопасности на предприятии {org}."],
    },
    "flood": {
        "en_title": ["Floods in {city} force {k}00 to evacuate", "River bursts banks in {city}, {n} missing"],
        "en": ["Heavy rain caused the river to burst its banks in {city} on {day}.",
               "About {k}00 residents were evacuated, and {n} people are reported missing.",
               "\"The water rose faster than anyone expected,\" said mayor {person}.",
               "Rescue teams used boats to reach flooded districts of {city}.",
               "The weather service warned that more rain is expected this week."],
        "ru_title": ["Наводнение в городе {city_ru}: эвакуированы {k}00 жителей"],
        "ru": ["Сильные дожди вызвали наводнение в городе {city_ru}.",
               "Эвакуированы около {k}00 жителей, {n} человек числятся пропавшими.",
               "«Вода поднималась быстрее, чем кто-либо ожидал», — сказал мэр {person}."],
    },
    "strike": {
        "en_title": ["{org} workers in {city} walk out over pay", "Strike halts {org} port in {city}"],
        "en": ["Workers at {org} in {city} went on strike on {day}, demanding a {n} percent pay rise.",
               "The union led by {person} said {k}00 members joined the walkout.",
               "\"We will not go back until management listens,\" {person} told reporters.",
               "Management at {org} called the demands unrealistic.",
               "Cargo traffic through {city} was reduced to a minimum."],
        "ru_title": ["Рабочие {org} в городе {city_ru} объявили забастовку"],
        "ru": ["Работники {org} в городе {city_ru} объявили забастовку, требуя повышения зарплаты на {n}%.",
               "По словам профсоюзного лидера {person}, в забастовке участвуют {k}00 человек.",
               "Руководство {org} назвало требования нереалистичными."],
    },
    "court": {
        "en_title": ["Court in {city} hears case against {person}", "{person} trial opens in {city}"],
        "en": ["A court in {city} began hearing the case against businessman {person} on {day}.",
               "Prosecutors accuse {person} of embezzling {n} million from {org}.",
               "\"My client is innocent,\" the defence lawyer said outside the courtroom.",
               "The judge adjourned the hearing until next month.",
               "{org} declined to comment on the proceedings."],
        "ru_title": ["Суд в городе {city_ru} начал рассматривать дело {person}"],
        "ru": ["Суд в городе {city_ru} приступил к рассмотрению дела бизнесмена {person}.",
               "Обвинение утверждает, что {person} похитил {n} млн у компании {org}.",
               "«Мой подзащитный невиновен», — заявил адвокат."],
    },
    "election": {
        "en_title": ["{person} wins mayoral vote in {city}", "{city} elects {person} as mayor with {n} percent"],
        "en": ["{person} won the mayoral election in {city} on {day} with {n} percent of the vote.",
               "Turnout was {k}0 percent, the election commission said.",
               "\"This is a victory for every resident of {city},\" {person} told supporters.",
               "The runner-up, backed by {org}, conceded defeat late in the evening."],
        "ru_title": ["{person} победил на выборах мэра в городе {city_ru}"],
        "ru": ["{person} победил на выборах мэра города {city_ru}, набрав {n}% голосов.",
               "Явка составила {k}0%, сообщила избирательная комиссия.",
               "«Это победа каждого жителя», — сказал {person} сторонникам."],
    },
    "quake": {
        "en_title": ["Magnitude {k}.{n} earthquake shakes {city}", "Earthquake near {city} damages {m} buildings"],
        "en": ["An earthquake of magnitude {k}.{n} struck near {city} on {day}.",
               "At least {m} buildings were damaged, local authorities said.",
               "\"The shaking lasted almost a minute,\" said resident {person}.",
               "No casualties were reported in the first hours after the quake."],
        "ru_title": ["Землетрясение магнитудой {k}.{n} произошло у города {city_ru}"],
        "ru": ["Землетрясение магнитудой {k}.{n} произошло вблизи города {city_ru}.",
               "Повреждены не менее {m} зданий, сообщили местные власти."],
    },
}
OUTLETS = [
    ("Baltic Wire", "balticwire.example", "en", "Subscribe to Baltic Wire | Share | Tweet"),
    ("Northern Ledger", "northernledger.example", "en", "READ MORE: Top stories of the week"),
    ("Daily Meridian", "meridian.example", "en", "Read on Meridian Pro: five ways to save on energy"),
    ("Harbour Post", "harbourpost.example", "en", "Leave a Reply. Your email address will not be published."),
    ("Continental Times", "ctimes.example", "en", "icon share icon bookmark icon vk icon tg"),
    ("Северный вестник", "sevvestnik.example", "ru", "Подписывайтесь на наш Telegram-канал"),
    ("Городские новости", "gornews.example", "ru", "Читайте также: главные новости дня"),
    ("Вечерний курьер", "vkurier.example", "ru", "Фото: пресс-служба"),
]
ORGS = ["Nordline", "Astrel", "Volta", "Kalmar", "Orion", "Baltstal", "Riverton", "Polar", "Ventra", "Sigma"]


def _name(rng: random.Random) -> str:
    first = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
    last = "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
    return f"{first} {last}"


def _event_size(rng: random.Random) -> int:
    """Heavy tail: half the events have one article, a few have dozens."""
    return min(60, max(1, int(rng.paretovariate(1.3))))


def generate(n_docs: int, seed: int = 7, start: datetime = datetime(2019, 1, 1), years: float = 4.0
             ) -> Iterator[dict[str, Any]]:
    """Yield ``n_docs`` articles (deterministic for a given seed); dates are not monotone, as in a real crawl."""
    rng = random.Random(seed)
    span_days = int(365 * years)
    produced = 0
    event_no = 0
    stories: list[dict[str, Any]] = []
    while produced < n_docs:
        event_no += 1
        if stories and rng.random() < 0.3:  # continue a story: same type, place and people, months later
            story = rng.choice(stories)
            facts = dict(story["facts"])
            facts["n"], facts["m"], facts["k"] = rng.randint(2, 40), rng.randint(2, 90), rng.randint(2, 9)
            day = story["last"] + timedelta(days=rng.randint(10, 120))
            story["last"] = day
        else:
            etype = rng.choice(sorted(TYPES))
            city = rng.choice(sorted(CITIES_RU))
            facts = {"type": etype, "city": city, "city_ru": CITIES_RU[city], "org": rng.choice(ORGS),
                     "person": _name(rng), "n": rng.randint(2, 40), "m": rng.randint(2, 90), "k": rng.randint(2, 9)}
            day = start + timedelta(days=rng.randint(0, span_days), minutes=rng.randint(0, 1439))
            story = {"id": f"s{event_no}", "facts": facts, "last": day}
            stories.append(story)
            if len(stories) > 200:
                stories.pop(0)
        size = min(_event_size(rng), n_docs - produced)
        first_body: tuple[str, str] | None = None
        first_outlet = ""
        for i in range(size):
            name, domain, lang, furniture = rng.choice(OUTLETS)
            when = day + timedelta(hours=rng.randint(0, 36), minutes=rng.randint(0, 59))
            if first_body and rng.random() < 0.12:  # syndicated copy of the first article
                title, body = first_body
                body += f"\nBased on materials from {first_outlet}" if lang == "en" else f"\nПо материалам {first_outlet}"
            else:
                title, body = _write(rng, facts, lang, when)
                if first_body is None:
                    first_body, first_outlet = (title, body), name
            text = "\n".join([furniture, title, body, furniture]) if rng.random() < 0.5 else f"{title}\n{body}"
            produced += 1
            yield {"id": f"g{produced:08d}", "title": title, "text": text, "date": when.isoformat(timespec="minutes"),
                   "outlet": name, "url": f"https://{domain}/news/{event_no}-{i}", "lang": lang,
                   "event": f"e{event_no}", "story": story["id"]}


def _write(rng: random.Random, facts: dict[str, Any], lang: str, when: datetime) -> tuple[str, str]:
    templates = TYPES[facts["type"]]
    values = dict(facts, day=when.strftime("%A"))
    title = rng.choice(templates[f"{lang}_title"] if f"{lang}_title" in templates else templates["en_title"])
    sentences = list(templates[lang])
    rng.shuffle(sentences)
    chosen = sentences[: rng.randint(max(2, len(sentences) - 2), len(sentences))]
    return title.format(**values), "\n".join(s.format(**values) for s in chosen)


def write_jsonl(n_docs: int, out: TextIO, seed: int = 7) -> int:
    count = 0
    for record in generate(n_docs, seed=seed):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, required=True, help="number of articles")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", help="JSONL file (default: stdout)")
    args = parser.parse_args(argv)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            write_jsonl(args.docs, handle, args.seed)
    else:
        write_jsonl(args.docs, sys.stdout, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
