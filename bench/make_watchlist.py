"""A realistic long watch list, generated: N small articles about battles, created in 2019,
each edited a few times since (a casualty figure raised, a commander added, the result
settled, prose-only copy-edits, now and then a vandal and the revert that undid him).

Writes one MediaWiki XML export (schema 0.11, gzip) that `wikimon import --wiki enwiki`
reads; the same seed gives the same file. Used by bench/report_scale.py. Usage:

    .venv/bin/python bench/make_watchlist.py OUT.xml.gz [--articles 300] [--seed 11]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

PLACES = [
    "Aleppo", "Hama", "Homs", "Idlib", "Raqqa", "Deir ez-Zor", "Daraa", "Latakia", "Tartus",
    "Palmyra", "Manbij", "Kobani", "Afrin", "Azaz", "Jarabulus", "Saraqib", "Maarat",
    "Khan Shaykhun", "Qusayr", "Douma", "Harasta", "Jobar", "Zabadani", "Quneitra",
]  # fmt: skip
SIDES = [
    ("Syrian Arab Republic", "Syrian opposition"), ("Islamic State", "Syrian Democratic Forces"),
    ("Hay'at Tahrir al-Sham", "Syrian National Army"), ("Russia", "Free Syrian Army"),
]  # fmt: skip
COMMANDERS = [
    "Suheil al-Hassan", "Abu Mohammad al-Julani", "Mazloum Abdi", "Issam Zahreddine",
    "Abdul Jabbar al-Oqaidi", "Jamil Hassan", "Abu Omar al-Shishani", "Ali Mamlouk",
    "Fahim Issa", "Ahmad al-Awda", "Hassan Soufan", "Maher al-Assad",
]  # fmt: skip
USERS = [
    "Applodion", "Borgenland", "Cinderella157", "Goddard2000", "Ilyas Tarwala", "Sammi Brie",
    "Dr Salvus", "Lostfan3", "Alsoriano97", "HistoryofIran", "Kurdistan Defender", "Ecrusized",
]  # fmt: skip
PROSE = (
    "The {title} was fought near {place} between forces of the {a} and the {b}. "
    "Fighting began in the early morning and continued for several days, with heavy "
    "shelling of the surrounding villages reported by local observers.\n\n"
    "== Background ==\nThe area had changed hands several times since 2012. Both sides had "
    "reinforced their positions in the weeks before the battle.\n\n"
    "== Battle ==\nThe offensive opened with an artillery barrage. {note}\n\n"
    "== Aftermath ==\nCivilians returned to the town over the following months.\n"
)


@dataclass
class Article:
    title: str
    page_id: int
    place: str
    sides: tuple[str, str]
    date: str
    result: str = "Ongoing"
    commanders: tuple[list[str], list[str]] = field(default_factory=lambda: ([], []))
    killed: list[int] = field(default_factory=lambda: [0, 0])
    note: str = "Losses were heavy on both sides."

    def text(self, vandal: str | None = None) -> str:
        a, b = self.sides
        box = (
            "{{Infobox military conflict\n"
            f"| conflict = {self.title}\n"
            f"| partof = the [[Syrian civil war]]\n"
            f"| date = {self.date}\n"
            f"| place = {self.place}, [[Syria]]\n"
            f"| result = {vandal or self.result}\n"
            f"| combatant1 = {{{{flagicon|{a}}}}} [[{a}]]\n"
            f"| combatant2 = {{{{flagicon|{b}}}}} [[{b}]]\n"
            f"| commander1 = {'<br>'.join(f'[[{c}]]' for c in self.commanders[0])}\n"
            f"| commander2 = {'<br>'.join(f'[[{c}]]' for c in self.commanders[1])}\n"
            f"| casualties1 = {self.killed[0]} killed\n"
            f"| casualties2 = {self.killed[1]} killed\n"
            "}}\n"
        )
        prose = PROSE.format(title=self.title, place=self.place, a=a, b=b, note=self.note)
        return box + prose


def generate(count: int, seed: int) -> str:
    rng = random.Random(seed)
    pages = []
    revid = 900_000_000
    for n in range(count):
        place = PLACES[n % len(PLACES)]
        start = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(365 * 1440))
        article = Article(
            title=f"Battle of {place} ({2012 + n % 7}, phase {n // len(PLACES) + 1})",
            page_id=70_000_000 + n,
            place=place,
            sides=rng.choice(SIDES),
            date=f"{start.day} {start:%B} {2012 + n % 7}",
            commanders=([rng.choice(COMMANDERS)], [rng.choice(COMMANDERS)]),
            killed=[rng.randrange(5, 200), rng.randrange(5, 200)],
        )
        when = start
        edits = [(when, rng.choice(USERS), "Created page", article.text())]
        for _ in range(rng.randint(2, 5)):  # a few edits since, up to 2025
            when += timedelta(minutes=rng.randrange(1, 400 * 1440))
            if when.year > 2025:
                break
            kind = rng.choices(["figure", "commander", "result", "prose", "vandal"],
                               [4, 2, 2, 3, 1])[0]  # fmt: skip
            user = rng.choice(USERS)
            if kind == "figure":
                article.killed[rng.randrange(2)] += rng.randrange(1, 60)
                edits.append((when, user, "update casualties per SOHR", article.text()))
            elif kind == "commander":
                article.commanders[rng.randrange(2)].append(rng.choice(COMMANDERS))
                edits.append((when, user, "add commander", article.text()))
            elif kind == "result":
                article.result = f"{rng.choice(article.sides)} victory"
                edits.append((when, user, "result per sources", article.text()))
            elif kind == "prose":
                article.note = rng.choice(["Losses were heavy.", "Both sides claimed victory.",
                                           "The town was largely destroyed."])  # fmt: skip
                edits.append((when, user, "copyedit", article.text()))
            else:  # a vandal, reverted minutes later
                vandal = f"203.0.113.{rng.randrange(1, 250)}"
                edits.append((when, vandal, "", article.text(vandal="LOL")))
                when += timedelta(minutes=rng.randrange(1, 30))
                edits.append((when, "ClueBot NG", "Reverting possible vandalism", article.text()))
        revisions = []
        for when, user, comment, text in edits:
            revid += 1
            revisions.append(
                (revid, revisions[-1][0] if revisions else 0, when, user, comment, text)
            )
        pages.append((article, revisions))
    return _export(pages)


def _export(pages: list[tuple[Article, list[tuple[int, int, datetime, str, str, str]]]]) -> str:
    parts = [
        '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" version="0.11" '
        'xml:lang="en">\n<siteinfo><sitename>Wikipedia</sitename><dbname>enwiki</dbname>'
        "<base>https://en.wikipedia.org/wiki/Main_Page</base></siteinfo>\n"
    ]
    for article, revisions in pages:
        parts.append(
            f"<page>\n<title>{escape(article.title)}</title>\n<ns>0</ns>\n"
            f"<id>{article.page_id}</id>\n"
        )
        for revid, parent, when, user, comment, text in revisions:
            data = text.encode("utf-8")
            sha1 = _base36(hashlib.sha1(data).hexdigest())
            user_id = USERS.index(user) + 1 if user in USERS else 99
            who = (
                f"<ip>{escape(user)}</ip>"
                if user[0].isdigit()
                else f"<username>{escape(user)}</username><id>{user_id}</id>"
            )
            parts.append(
                f"<revision>\n<id>{revid}</id>\n"
                + (f"<parentid>{parent}</parentid>\n" if parent else "")
                + f"<timestamp>{when:%Y-%m-%dT%H:%M:%SZ}</timestamp>\n"
                f"<contributor>{who}</contributor>\n<comment>{escape(comment)}</comment>\n"
                "<model>wikitext</model>\n<format>text/x-wiki</format>\n"
                f'<text bytes="{len(data)}" sha1="{sha1}" xml:space="preserve">'
                f"{escape(text)}</text>\n<sha1>{sha1}</sha1>\n</revision>\n"
            )
        parts.append("</page>\n")
    parts.append("</mediawiki>\n")
    return "".join(parts)


def _base36(hex_sha1: str) -> str:
    value, digits = int(hex_sha1, 16), []
    while value:
        value, digit = divmod(value, 36)
        digits.append("0123456789abcdefghijklmnopqrstuvwxyz"[digit])
    return "".join(reversed(digits)).rjust(31, "0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with gzip.open(args.out, "wt", encoding="utf-8") as file:
        file.write(generate(args.articles, args.seed))
    print(f"{args.out}: {args.articles} articles")


if __name__ == "__main__":
    main()
