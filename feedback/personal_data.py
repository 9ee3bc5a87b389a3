"""What in a feedback text looks like personal data, flagged to the moderator before
publishing (never decided automatically: a moderator reads every item).

E-mail addresses and phone numbers are found by patterns. Names are a heuristic, and say
so: two or more capitalised words in a row that do not start a sentence, or a capitalised
word after a title (Officer, Sgt, Mr, Ms, Dr...). It misses lower-case names and single
names, and flags place and organization names; it is a prompt to read, not a filter.
"""

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven or more digits, optionally with a leading + and spaces, dots, dashes or brackets.
PHONE = re.compile(r"(?<![\w])\+?\(?\d[\d\s().-]{5,}\d(?![\w])")
TITLES = (
    r"(?:Officer|Sergeant|Sgt|Detective|Det|Constable|PC|Inspector|Chief|Lieutenant|Lt|"
    r"Captain|Capt|Mr|Mrs|Ms|Miss|Dr)"
)
TITLED_NAME = re.compile(rf"\b{TITLES}\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*")
CAPITALISED_RUN = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")


def _digits(text: str) -> int:
    return sum(char.isdigit() for char in text)


def personal_data_signals(text: str) -> list[tuple[str, str]]:
    """``(kind, what was found)`` pairs: kind is ``email``, ``phone`` or ``name`` (the
    heuristic); each found text once, in order."""
    found: list[tuple[str, str]] = []
    for match in EMAIL.finditer(text):
        found.append(("email", match.group()))
    for match in PHONE.finditer(text):
        if _digits(match.group()) >= 7:
            found.append(("phone", match.group().strip()))
    for pattern in (TITLED_NAME, CAPITALISED_RUN):
        for match in pattern.finditer(text):
            found.append(("name", match.group()))
    seen, unique = set(), []
    for kind, value in found:
        if value not in seen:
            seen.add(value)
            unique.append((kind, value))
    return unique
