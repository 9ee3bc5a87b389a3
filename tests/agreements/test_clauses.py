"""Two versions of an agreement's text, compared clause by clause (``agreements.clauses``)."""

import pytest

from agreements.clauses import Status, compare_texts, split_clauses, topics_of

BASE = """MEMORANDUM OF UNDERSTANDING
Between Safe Harbour and Riverside Police.
1. Purpose
The parties work together on referrals of survivors.
2. Data sharing
The charity shares case summaries with the police.
3. Retention
Records are kept for 12 months and then deleted.
4. Review
The parties review this memorandum every year.
"""


def outline(comparison):
    """(status, old number, new number) of each clause, in the comparison's order."""
    return [(c.status, c.old_number, c.new_number) for c in comparison.clauses]


def changed_words(comparison, new_number):
    clause = next(c for c in comparison.clauses if c.new_number == new_number)
    return [(s.op, s.text) for s in clause.spans if s.op != "equal"]


def test_it_splits_numbered_named_clauses_and_headings():
    text = (
        "Agreed between the parties.\n"
        "1. Purpose\nWhy.\n"
        "1.2 Scope of the work\nWhat.\n"
        "2.3.1 Detail\nHow.\n"
        "Clause 4 Consent\nAsk first.\n"
        "Section 5: Audit\nOnce a year.\n"
        "Article 6. Termination\nOn notice.\n"
        "SCHEDULE OF CONTACTS\nNames.\n"
        "Page 3 of 9\n"
        "2024 was the year it was signed.\n"
    )
    clauses = split_clauses(text)
    assert [(c.number, c.label) for c in clauses] == [
        ("", "Preamble"),
        ("1", "1. Purpose"),
        ("1.2", "1.2 Scope of the work"),
        ("2.3.1", "2.3.1 Detail"),
        ("4", "Clause 4 Consent"),
        ("5", "Section 5: Audit"),
        ("6", "Article 6. Termination"),
        ("", "SCHEDULE OF CONTACTS"),
    ]
    # The page number is left out; a year at the start of a line is not a clause.
    assert clauses[-1].words == [
        "SCHEDULE",
        "OF",
        "CONTACTS",
        "Names.",
        "2024",
        "was",
        "the",
        "year",
        "it",
        "was",
        "signed.",
    ]


CASES = {
    "identical": (
        BASE,
        [
            (Status.UNCHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.UNCHANGED, "2", "2"),
            (Status.UNCHANGED, "3", "3"),
            (Status.UNCHANGED, "4", "4"),
        ],
    ),
    "a changed word": (
        BASE.replace("every year", "every two years"),
        [
            (Status.UNCHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.UNCHANGED, "2", "2"),
            (Status.UNCHANGED, "3", "3"),
            (Status.CHANGED, "4", "4"),
        ],
    ),
    "an inserted clause renumbers the rest": (
        BASE.replace(
            "2. Data sharing",
            "2. Consent\nNothing is shared without written consent.\n3. Data sharing",
        )
        .replace("3. Retention", "4. Retention")
        .replace("4. Review", "5. Review"),
        [
            (Status.UNCHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.ADDED, None, "2"),
            (Status.UNCHANGED, "2", "3"),
            (Status.UNCHANGED, "3", "4"),
            (Status.UNCHANGED, "4", "5"),
        ],
    ),
    "a removed clause": (
        BASE.replace(
            "3. Retention\nRecords are kept for 12 months and then deleted.\n", ""
        ).replace("4. Review", "3. Review"),
        [
            (Status.UNCHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.UNCHANGED, "2", "2"),
            (Status.REMOVED, "3", None),
            (Status.UNCHANGED, "4", "3"),
        ],
    ),
    "a moved clause": (
        BASE.replace(
            "3. Retention\nRecords are kept for 12 months and then deleted.\n", ""
        ).replace("4. Review", "3. Review")
        + "4. Retention\nRecords are kept for 12 months and then deleted.\n",
        [
            (Status.UNCHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.UNCHANGED, "2", "2"),
            (Status.UNCHANGED, "4", "3"),
            (Status.MOVED, "3", "4"),
        ],
    ),
    "a changed heading": (
        BASE.replace("MEMORANDUM OF UNDERSTANDING", "MEMORANDUM OF UNDERSTANDING (AMENDED)"),
        [
            (Status.CHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.UNCHANGED, "2", "2"),
            (Status.UNCHANGED, "3", "3"),
            (Status.UNCHANGED, "4", "4"),
        ],
    ),
    "clause words renamed as 'Clause N'": (
        BASE.replace("1. Purpose", "Clause 1 Purpose").replace(
            "2. Data sharing", "Clause 2 Data sharing"
        ),
        [
            (Status.UNCHANGED, "", ""),
            (Status.UNCHANGED, "1", "1"),
            (Status.UNCHANGED, "2", "2"),
            (Status.UNCHANGED, "3", "3"),
            (Status.UNCHANGED, "4", "4"),
        ],
    ),
}


@pytest.mark.parametrize("new_text, expected", CASES.values(), ids=CASES.keys())
def test_it_aligns_the_clauses_of_two_versions(new_text, expected):
    assert outline(compare_texts(BASE, new_text)) == expected


def test_the_words_that_changed_inside_a_clause():
    comparison = compare_texts(BASE, BASE.replace("12 months", "24 months"))
    assert changed_words(comparison, "3") == [("delete", "12"), ("insert", "24")]
    clause = comparison.clauses[3]
    assert " ".join(s.text for s in clause.spans if s.op != "delete") == (
        "Retention Records are kept for 24 months and then deleted."
    )


def test_a_renumbered_clause_keeps_its_words_and_says_so():
    new = BASE.replace("2. Data sharing", "2. Consent\nAsk first.\n3. Data sharing").replace(
        "3. Retention", "4. Retention"
    )
    clause = next(c for c in compare_texts(BASE, new).clauses if c.old_number == "2")
    assert clause.renumbered is True
    assert [s.op for s in clause.spans] == ["equal"]


def test_a_moved_and_changed_clause_shows_its_changed_words():
    new = (
        BASE.replace(
            "3. Retention\nRecords are kept for 12 months and then deleted.\n", ""
        ).replace("4. Review", "3. Review")
        + "4. Retention\nRecords are kept for 6 months and then deleted.\n"
    )
    comparison = compare_texts(BASE, new)
    assert changed_words(comparison, "4") == [("delete", "12"), ("insert", "6")]
    assert comparison.clauses[-1].status == Status.MOVED


def test_clauses_about_sharing_retention_consent_and_onward_sharing_are_marked():
    assert topics_of("The charity shares case summaries.") == ["data sharing"]
    assert topics_of("Records are deleted after a year.") == ["retention"]
    assert topics_of("Only with the survivor's written consent.") == ["consent"]
    assert topics_of("No disclosure to third parties.") == ["data sharing", "onward sharing"]
    assert topics_of("The parties meet monthly.") == []
    comparison = compare_texts(BASE, BASE.replace("12 months", "24 months"))
    assert comparison.changed_topics == ["retention"]


def test_a_text_without_clauses_is_one_clause():
    comparison = compare_texts("we agree to meet", "we agree to meet often")
    assert outline(comparison) == [(Status.CHANGED, "", "")]
