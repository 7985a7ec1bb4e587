"""Near-duplicate detection, kept for the held-out tests: it lives in emergebot/near_duplicates.py
so that the maintainer CLI (``nlu annotate``) can refuse to train on a held-out example."""

from emergebot.near_duplicates import (  # noqa: F401 - re-exported for the tests
    DEFAULT_NGRAM,
    DEFAULT_THRESHOLD,
    DuplicatePair,
    find_near_duplicates,
    jaccard,
    normalise,
    shingles,
    strip_entity_markup,
)
