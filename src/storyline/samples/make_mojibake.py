"""Write the one sample article whose photo caption is cp1251 Russian read as Latin-1.

That mojibake is what Russian scrapes often carry (seed 003 has it) and ftfy does not repair it, so
the sample corpus must hold a real instance. The bytes are produced here, not typed by hand, so the
file is exactly what a scraper that decoded cp1251 bytes as Latin-1 would have saved.

Run from anywhere: ``python src/storyline/samples/make_mojibake.py``; it rewrites the file in place
and is idempotent.
"""

from __future__ import annotations

from pathlib import Path

TARGET = Path(__file__).parent / "corpus" / "coastlinetimes" / "ct-liepaja-plant-fire.txt"

#: The Russian half of the agency caption, as the photo agency wrote it.
CAPTION_RU = (
    "Латвия. Лиепая. Пожарные тушат склад полистирола на заводе Kurzeme Polymers "
    "в северной промышленной зоне города. Ирина Вольская/РИБ"
)

ARTICLE = """\
LIEPAJA, LATVIA - APRIL 17, 2024: Firefighters tackle a blaze at a warehouse of the Kurzeme Polymers plastics plant in the northern industrial zone. Irina Volskaya/RIB {caption}

17 Apr, 2024 12:05

Black smoke over Karosta as fire destroys Liepaja plastics warehouse

A fire destroyed a warehouse full of polystyrene granules at the Kurzeme Polymers plant in Liepaja on Wednesday morning, injuring three night-shift workers and sending a plume of black smoke across the city's Karosta district.

The blaze started at about 4:40 a.m. and took 68 firefighters about seven hours to bring under control, the State Fire and Rescue Service said. The 2,000-square-metre building could not be saved, but crews kept the flames away from the main production hall.

"When the first crews got there, the whole warehouse was already on fire. Everything we did was about stopping it reaching the production hall," spokeswoman Liga Dumpe said.

One worker with serious burns was flown to the burns centre in Riga; two colleagues were treated for smoke inhalation.

READ MORE: Valmiera sawmill fire: kilns lost, no one hurt

Residents of Karosta and other northern districts were told to keep their windows shut. "It smelled like burning tyres all morning," said a resident who gave her name as Natalja.

Plant director Guntis Sprogis said the company was "shocked" and would cooperate with investigators. The cause of the fire is not yet known.

Authors Tags Subscribe to Coastline Times Get the morning briefing before anyone else
"""


def cp1251_read_as_latin1(text: str) -> str:
    """Return ``text`` as a Latin-1 reader would show its cp1251 bytes."""
    return text.encode("cp1251").decode("latin-1")


def main() -> None:
    TARGET.write_text(ARTICLE.format(caption=cp1251_read_as_latin1(CAPTION_RU)), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
