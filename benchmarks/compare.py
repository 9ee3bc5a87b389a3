"""Benchmark: comparing two versions of a 50-page agreement clause by clause, beside the
cost of the answer itself, in the same run: plain ``difflib`` over the two texts' words
(one diff, no clauses, no matching), and reading both texts into words. Also the reading
of one 50-page PDF's text, which an upload does inline.

    .venv/bin/python benchmarks/compare.py --pages 50

No database: the texts and PDFs are generated. Figures are appended to
benchmarks/RESULTS.md.
"""

import argparse
import difflib
import io
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django  # noqa: E402

django.setup()

from agreements.clauses import compare_texts, split_clauses  # noqa: E402
from agreements.documents import extract_text  # noqa: E402
from tests.staff.conftest import make_text_pdf  # noqa: E402

# A small vocabulary on purpose: every clause shares it, as one agreement's clauses do.
WORDS = [
    *("the parties shall share data referral survivor police charity consent retention",),
    *("record case summary within days written notice review officer safeguarding third",),
    *("party purpose lawful basis access control breach report annual audit",),
]
WORDS = " ".join(WORDS).split()
LINES_PER_PAGE = 55
CLAUSES_PER_PAGE = 6
REPEATS = 7


def clause_body(rng: random.Random, lines: int) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "." for _ in range(lines)]


def versions(pages: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """Two versions' pages: the second with a clause inserted early (renumbering the rest),
    one moved to the end, one removed, and a word changed in every tenth clause."""
    rng = random.Random(seed)  # noqa: S311 - generated text, not a secret
    count = pages * CLAUSES_PER_PAGE
    body_lines = LINES_PER_PAGE // CLAUSES_PER_PAGE - 1
    clauses = [(f"Clause heading {n}", clause_body(rng, body_lines)) for n in range(count)]
    new = [(title, list(body)) for title, body in clauses]
    for n in range(0, count, 10):
        new[n][1][0] = new[n][1][0].replace("shall", "may", 1) + " Amended."
    new.insert(3, ("Consent of the survivor", clause_body(rng, body_lines)))
    new.append(new.pop(12))
    del new[40]

    def paginate(items) -> list[str]:
        lines = []
        for number, (title, body) in enumerate(items, start=1):
            lines += [f"{number}. {title}", *body]
        return [
            "\n".join(lines[i : i + LINES_PER_PAGE]) for i in range(0, len(lines), LINES_PER_PAGE)
        ]

    return paginate(clauses), paginate(new)


def timed(function, repeats=REPEATS) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        function()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--no-record", action="store_true", help="do not write RESULTS.md")
    options = parser.parse_args()

    old_pages, new_pages = versions(options.pages)
    old_pdf, new_pdf = make_text_pdf(old_pages), make_text_pdf(new_pages)
    extracted = [extract_text(io.BytesIO(pdf)) for pdf in (old_pdf, new_pdf)]
    old_text, new_text = (e.text for e in extracted)
    words = len(old_text.split()), len(new_text.split())

    extract = timed(lambda: extract_text(io.BytesIO(new_pdf)), repeats=3)
    read = timed(lambda: (old_text.split(), new_text.split()))
    plain = timed(
        lambda: difflib.SequenceMatcher(None, old_text.split(), new_text.split()).get_opcodes(),
        repeats=1,
    )
    split = timed(lambda: (split_clauses(old_text), split_clauses(new_text)))
    compared = timed(lambda: compare_texts(old_text, new_text))
    summary = compare_texts(old_text, new_text).summary

    rows = [
        ("reading both texts into words (the floor)", read),
        ("plain difflib over the two texts' words", plain),
        ("splitting both texts into clauses", split),
        ("clause-by-clause comparison (compare_texts)", compared),
    ]
    lines = [
        "",
        f"## Comparing two versions of a {options.pages}-page agreement clause by clause "
        f"({time.strftime('%Y-%m-%d')})",
        "",
        f"`benchmarks/compare.py --pages {options.pages}`: {words[0]:,} and {words[1]:,} words, "
        f"generated (a clause inserted early, one moved, one removed, a word changed in every "
        f"tenth), median of {REPEATS} (one run of plain difflib, 3 of the PDF); Python "
        f"{platform.python_version()}, 2 cores shared with other work, load average "
        f"{os.getloadavg()[0]:.1f}. Found: {summary}.",
        "",
        "| measure | time | beside plain difflib | beside reading the texts |",
        "|---|---|---|---|",
        *(
            f"| {name} | {seconds * 1000:,.1f} ms | {seconds / plain:.3f}× "
            f"| {seconds / read:,.0f}× |"
            for name, seconds in rows
        ),
        f"| reading the text of one {options.pages}-page PDF (pypdf, inline on upload) | "
        f"{extract * 1000:,.1f} ms | | |",
        "",
    ]
    print("\n".join(lines))
    if not options.no_record:
        with open(ROOT / "benchmarks" / "RESULTS.md", "a") as results:
            results.write("\n".join(lines))


if __name__ == "__main__":
    main()
