"""What changed between two versions of an agreement's text, clause by clause.

Pure Python (``re`` and ``difflib``): the pages and the API compare the texts stored with
the versions (``DocumentText``).

1. Each text is split into clauses (``split_clauses``): a clause starts at a line that
   numbers it ("1.", "1.2", "2.3.1", "Clause 4", "Section 5", "Article 6") or at a heading
   (a line in capitals, "Schedule 2", "Annex A"); the text before the first one is the
   preamble.
2. The clauses of the two versions are matched (``compare_texts``): by number first, when
   the texts of the two clauses are alike too, then by the likeness of their words, so a
   renumbered clause finds its old self. Of the matched clauses, the longest run in the
   same order stays in place; the others are shown as moved, where they are now.
3. Inside each matched clause, the words that changed (``difflib``).

Clauses about data sharing, retention, consent and onward sharing are marked with the
topics they touch (``TOPICS``).
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy

# The topics a reader of a data-sharing agreement looks for first, with the words that
# mark a clause as touching them (matched at the start of a word, so "share" finds
# "shared" and "shares").
TOPICS: dict[str, tuple[str, ...]] = {
    "data sharing": (
        "share",
        "sharing",
        "disclos",
        "personal data",
        "information",
        "transfer",
        "data protection",
    ),
    "retention": ("retain", "retention", "delet", "destroy", "destruction", "erase", "erasure"),
    "consent": ("consent", "opt in", "opt-in", "opt out", "opt-out"),
    "onward sharing": (
        "onward",
        "third part",
        "other agencies",
        "further disclos",
        "sub-processor",
        "subcontract",
    ),
}
TOPIC_NAMES = tuple(TOPICS)
# The topics in the reader's language (the API keeps their names above).
TOPIC_LABELS = {
    "data sharing": gettext_lazy("data sharing"),
    "retention": gettext_lazy("retention"),
    "consent": gettext_lazy("consent"),
    "onward sharing": gettext_lazy("onward sharing"),
}
_TOPIC_PATTERNS = {
    topic: re.compile(r"\b(?:" + "|".join(re.escape(word) for word in words) + r")", re.I)
    for topic, words in TOPICS.items()
}

# "1." "1.2" "1.2." "2.3.1": a single number needs its full stop ("2024 was..." is not a
# clause), each part has at most three digits.
_NUMBERED = re.compile(
    r"^(?P<number>\d{1,3}\.(?:\d{1,3}\.?)*|\d{1,3}(?:\.\d{1,3})+\.?)\s+(?P<rest>\S.*)?$"
)
_NUMBER_ONLY = re.compile(r"^(?P<number>\d{1,3}\.(?:\d{1,3}\.?)*)$")
_NAMED = re.compile(
    r"^(?P<kind>clause|section|article|part|schedule|annex|appendix)\s+"
    r"(?P<number>\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6}|[A-Z])\b[.:)]?\s*(?P<rest>.*)$",
    re.I,
)
# Running page furniture, left out of the clauses.
_PAGE_FURNITURE = re.compile(r"^(?:page\s+)?\d+(?:\s*(?:of|/)\s*\d+)?$", re.I)
HEADING_MAX_WORDS = 12
# How alike two clauses' words must be (Jaccard) to be the same clause: with the same
# number, and without.
SAME_NUMBER_LIKENESS = 0.3
LIKENESS = 0.5


@dataclass
class Clause:
    """One clause of a text: its number ("" for a heading or the preamble), its first
    line as the text shows it (``label``), and its words (the number left out)."""

    position: int
    number: str
    label: str
    words: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.words)

    @property
    def key(self) -> str:
        return self.number or self.label.casefold()


class Status:
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    MOVED = "moved"
    UNCHANGED = "unchanged"
    ALL = (ADDED, REMOVED, CHANGED, MOVED, UNCHANGED)
    # What became of a clause, in the reader's language (the API keeps the values above).
    LABELS = {
        ADDED: gettext_lazy("Added"),
        REMOVED: gettext_lazy("Removed"),
        CHANGED: gettext_lazy("Changed"),
        MOVED: gettext_lazy("Moved"),
        UNCHANGED: gettext_lazy("Unchanged"),
    }


class Span:
    EQUAL = "equal"
    INSERT = "insert"
    DELETE = "delete"
    ALL = (EQUAL, INSERT, DELETE)


@dataclass
class WordSpan:
    op: str
    text: str


@dataclass
class ClauseChange:
    """A clause of the comparison: of the older version (``old``), the newer (``new``) or
    both, what became of it, its words with their changes, and its topics."""

    status: str
    old: Clause | None
    new: Clause | None
    spans: list[WordSpan]
    topics: list[str]

    @property
    def renumbered(self) -> bool:
        return self.old is not None and self.new is not None and self.old.number != self.new.number

    @property
    def old_number(self) -> str | None:
        return self.old.number if self.old else None

    @property
    def new_number(self) -> str | None:
        return self.new.number if self.new else None

    @property
    def old_label(self) -> str | None:
        return self.old.label if self.old else None

    @property
    def new_label(self) -> str | None:
        return self.new.label if self.new else None

    @property
    def label(self) -> str:
        return (self.new or self.old).label


@dataclass
class Comparison:
    clauses: list[ClauseChange] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        counts = dict.fromkeys(Status.ALL, 0)
        for clause in self.clauses:
            counts[clause.status] += 1
        return counts

    @property
    def changed_topics(self) -> list[str]:
        """The topics of the clauses that are not unchanged, in ``TOPICS`` order."""
        touched = {t for c in self.clauses if c.status != Status.UNCHANGED for t in c.topics}
        return [topic for topic in TOPICS if topic in touched]


# 1. Clauses ---------------------------------------------------------------------------


def _clause_start(line: str) -> tuple[str, str] | None:
    """``(number, rest of the line)`` when ``line`` starts a clause, else None."""
    if match := _NUMBERED.match(line) or _NUMBER_ONLY.match(line):
        return match["number"].rstrip("."), match.groupdict().get("rest") or ""
    if match := _NAMED.match(line):
        kind = match["kind"].lower()
        number = match["number"].upper() if not match["number"][0].isdigit() else match["number"]
        # Clause, section and article numbers are one sequence; the others are their own.
        prefix = "" if kind in ("clause", "section", "article") else f"{kind} "
        return prefix + number, match["rest"]
    if _is_heading(line):
        return "", line
    return None


def _is_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return (
        len(letters) >= 3
        and len(line.split()) <= HEADING_MAX_WORDS
        and all(c.isupper() for c in letters)
    )


def split_clauses(text: str) -> list[Clause]:
    """The clauses of ``text``, in order (see the module's docstring)."""
    clauses: list[Clause] = []
    number, label, words = "", "Preamble", []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or _PAGE_FURNITURE.match(line):
            continue
        start = _clause_start(line)
        if start is None:
            words.extend(line.split())
            continue
        if words or number or label != "Preamble":
            clauses.append(Clause(len(clauses), number, label, words))
        number, rest = start
        label, words = line, rest.split()
    if words or number or label != "Preamble":
        clauses.append(Clause(len(clauses), number, label, words))
    return clauses


# 2. Matching ---------------------------------------------------------------------------


def _features(words: Sequence[str]) -> frozenset:
    """A clause's words and pairs of words: the words alone would make any two long
    clauses of one agreement alike (they share its vocabulary), the pairs tell them apart."""
    folded = [w.casefold() for w in words]
    return frozenset(folded) | frozenset(zip(folded, folded[1:], strict=False))


def _likeness(a: frozenset, b: frozenset) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def match_clauses(old: Sequence[Clause], new: Sequence[Clause]) -> dict[int, int]:
    """``{old position: new position}`` of the clauses that are the same clause."""
    vocab_old = [_features(c.words) for c in old]
    vocab_new = [_features(c.words) for c in new]
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    by_key: dict[str, list[int]] = {}
    for j, clause in enumerate(new):
        by_key.setdefault(clause.key, []).append(j)
    # By number (or the heading's words), when the clauses are alike too: an inserted
    # clause takes the number of the one it pushed down without taking its place.
    for i, clause in enumerate(old):
        for j in by_key.get(clause.key, ()):
            if j not in taken and _likeness(vocab_old[i], vocab_new[j]) >= SAME_NUMBER_LIKENESS:
                pairs[i] = j
                taken.add(j)
                break
    # Then the same words under another number (a renumbered clause), in order.
    by_words: dict[tuple, list[int]] = {}
    for j, clause in enumerate(new):
        if j not in taken:
            by_words.setdefault(tuple(clause.words), []).append(j)
    for i, clause in enumerate(old):
        if i not in pairs and (same := by_words.get(tuple(clause.words))):
            pairs[i] = same.pop(0)
            taken.add(pairs[i])
    # Then by likeness alone, the most alike first.
    rest_old = [i for i in range(len(old)) if i not in pairs]
    rest_new = [j for j in range(len(new)) if j not in taken]
    candidates = []
    for i in rest_old:
        for j in rest_new:
            score = _likeness(vocab_old[i], vocab_new[j])
            if score >= LIKENESS:
                # Nearer in position wins a tie.
                candidates.append((-score, abs(i - j), i, j))
    candidates.sort()
    for _, _, i, j in candidates:
        if i not in pairs and j not in taken:
            pairs[i] = j
            taken.add(j)
    return pairs


def _in_place(pairs: dict[int, int]) -> set[int]:
    """The old positions of the longest run of matched clauses kept in the same order
    (a longest increasing subsequence of their new positions); the others moved."""
    olds = sorted(pairs)
    tails: list[int] = []  # new positions ending the runs of each length
    tail_at: list[int] = []  # index into ``olds`` of each run's end
    previous: list[int] = [-1] * len(olds)
    for k, i in enumerate(olds):
        j = pairs[i]
        length = bisect.bisect_left(tails, j)
        if length == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[length] = j
            tail_at[length] = k
        previous[k] = tail_at[length - 1] if length else -1
    kept: set[int] = set()
    k = tail_at[-1] if tail_at else -1
    while k != -1:
        kept.add(olds[k])
        k = previous[k]
    return kept


# 3. Words -------------------------------------------------------------------------------


def word_spans(old: Sequence[str], new: Sequence[str]) -> list[WordSpan]:
    """The words of ``new`` with those of ``old`` it dropped, as runs of equal, deleted and
    inserted words (a replacement is its deletion, then its insertion)."""
    spans: list[WordSpan] = []

    def add(op: str, words: Sequence[str]) -> None:
        if words:
            spans.append(WordSpan(op, " ".join(words)))

    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            add(Span.EQUAL, new[j1:j2])
        else:
            add(Span.DELETE, old[i1:i2])
            add(Span.INSERT, new[j1:j2])
    return spans


def topics_of(*texts: str) -> list[str]:
    return [
        topic
        for topic, pattern in _TOPIC_PATTERNS.items()
        if any(pattern.search(text) for text in texts)
    ]


def compare_texts(old_text: str, new_text: str) -> Comparison:
    """The clauses of both texts, in the newer text's order, the removed ones where they
    were (after the clause that preceded them)."""
    old, new = split_clauses(old_text), split_clauses(new_text)
    pairs = match_clauses(old, new)
    kept = _in_place(pairs)
    placed: list[tuple[tuple, ClauseChange]] = []
    for i, j in pairs.items():
        a, b = old[i], new[j]
        topics = topics_of(a.label + " " + a.text, b.label + " " + b.text)
        if i not in kept:
            status = Status.MOVED
        elif a.words != b.words:
            status = Status.CHANGED
        else:
            status = Status.UNCHANGED
        placed.append(((j, 0, 0), ClauseChange(status, a, b, word_spans(a.words, b.words), topics)))
    matched_new = set(pairs.values())
    for j, b in enumerate(new):
        if j not in matched_new:
            spans = [WordSpan(Span.INSERT, b.text)] if b.words else []
            change = ClauseChange(Status.ADDED, None, b, spans, topics_of(b.label + " " + b.text))
            placed.append(((j, 0, 0), change))
    # A removed clause follows the nearest earlier clause that stayed in place.
    anchor = -1
    for i, a in enumerate(old):
        if i in kept:
            anchor = pairs[i]
        if i in pairs:
            continue
        spans = [WordSpan(Span.DELETE, a.text)] if a.words else []
        change = ClauseChange(Status.REMOVED, a, None, spans, topics_of(a.label + " " + a.text))
        placed.append(((anchor, 1, i), change))
    placed.sort(key=lambda item: item[0])
    return Comparison([change for _, change in placed])
