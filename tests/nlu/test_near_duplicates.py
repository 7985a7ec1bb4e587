"""Unit tests for the near-duplicate detector used to keep the held-out NLU split clean."""

from __future__ import annotations

import random

import pytest

try:
    from . import near_duplicates as nd
except ImportError:  # tests/ is not a package: pytest puts this folder on sys.path
    import near_duplicates as nd


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('grants in [Kenya]{"entity": "country", "value": "KE"}!', "grants in kenya"),
        ("[Kenyan](country:KE) loans", "kenyan loans"),
        ("  Où   trouver\tun MENTOR ?? ", "ou trouver un mentor"),
        ("Électricité, São Tomé — ça?", "electricite sao tome ca"),
        ("ITU-T associate...", "itu t associate"),
        ("أريد", "اريد"),
        ("Ещё ёлка", "еще елка"),
        ("你好，在吗？", "你好 在吗"),
        ("Straße", "strasse"),
        ("!!!", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert nd.normalise(raw) == expected


def test_strip_entity_markup_keeps_surrounding_text() -> None:
    text = 'a [b]{"entity": "x", "value": "y"} c [d](e) f'
    assert nd.strip_entity_markup(text) == "a b c d f"


def test_shingles() -> None:
    assert nd.shingles("abcde") == frozenset({"abcd", "bcde"})
    assert nd.shingles("abcde", n=3) == frozenset({"abc", "bcd", "cde"})
    assert nd.shingles("hi") == frozenset({"hi"})
    assert nd.shingles("") == frozenset()


def test_jaccard() -> None:
    assert nd.jaccard(frozenset("ab"), frozenset("ab")) == 1.0
    assert nd.jaccard(frozenset("abc"), frozenset("bcd")) == pytest.approx(0.5)
    assert nd.jaccard(frozenset("ab"), frozenset("cd")) == 0.0
    assert nd.jaccard(frozenset(), frozenset()) == 0.0


def test_exact_match_after_normalisation() -> None:
    pairs = nd.find_near_duplicates(
        ["Ok!", 'Grants in [Ghana]{"entity": "country", "value": "GH"}?'],
        ["okay", "grants in ghana", "ok"],
    )
    assert [(p.query_index, p.reference_index, p.exact) for p in pairs] == [
        (0, 2, True),
        (1, 1, True),
    ]


def test_near_match_is_flagged_and_distinct_text_is_not() -> None:
    reference = "we are looking for angel investors for our agritech startup in malawi"
    queries = [
        "We are looking for Angel investors, for our AGRITECH startup in Malawi!",  # exact
        "we are looking for angel investor for our agritech startup in malawi",  # near
        "we are looking for a mentor for our agritech startup in malawi",  # different
        "where can I find an incubator in Lusaka",
    ]
    pairs = nd.find_near_duplicates(queries, [reference])
    flagged = {p.query_index: p for p in pairs}
    assert set(flagged) == {0, 1}
    assert flagged[0].exact and flagged[0].similarity == 1.0
    assert not flagged[1].exact and 0.8 <= flagged[1].similarity < 1.0


def test_threshold_is_respected() -> None:
    a, b = "abcdefgh", "abcdefgx"  # 4 of 5 shingles shared, union 6: Jaccard 4/6
    assert nd.find_near_duplicates([a], [b], threshold=0.66)
    assert not nd.find_near_duplicates([a], [b], threshold=0.67)
    with pytest.raises(ValueError):
        nd.find_near_duplicates([a], [b], threshold=0.0)


def _mutate(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(0, 4)):
        position = rng.randrange(len(chars) + 1)
        operation = rng.choice(("insert", "delete", "replace"))
        if operation == "insert" or not chars:
            chars.insert(position, rng.choice("abcde "))
        elif operation == "delete":
            del chars[min(position, len(chars) - 1)]
        else:
            chars[min(position, len(chars) - 1)] = rng.choice("abcde ")
    return "".join(chars)


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
def test_indexed_search_matches_brute_force(threshold: float) -> None:
    rng = random.Random(1234)
    bases = ["".join(rng.choice("abcde ") for _ in range(rng.randint(1, 30))) for _ in range(40)]
    references = [_mutate(rng, rng.choice(bases)) for _ in range(150)]
    queries = [_mutate(rng, rng.choice(bases)) for _ in range(150)]

    expected = set()
    for i, query in enumerate(queries):
        for j, reference in enumerate(references):
            q, r = nd.normalise(query), nd.normalise(reference)
            if q == r or nd.jaccard(nd.shingles(q), nd.shingles(r)) >= threshold:
                expected.add((i, j))

    found = {
        (p.query_index, p.reference_index)
        for p in nd.find_near_duplicates(queries, references, threshold=threshold)
    }
    assert expected, "the generated data should contain near duplicates"
    assert found == expected
