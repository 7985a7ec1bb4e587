"""Find and normalise entity mentions in free text, in the seven supported languages.

Four entities: ``country`` (ISO 3166-1 alpha-2), ``sector``, ``funding_type`` and ``language``
(see ``entries.ENTITY_VALUES``). Pure Python and deterministic: a trie over folded words for
Latin, Cyrillic and Arabic script, a substring dictionary for Chinese. Country names come from
CLDR (Babel) for every country of ``data/m49.csv``; everything else from ``data/lexicon/*.yml``.

Matching folds case, accents, ё, Arabic hamza/alef/ta-marbuta/alef-maqsura variants and
tatweel; understands Russian case endings (generated per word), Arabic proclitics and the
article, and one-letter typos in country names of six letters or more. The longest match wins
and matches never overlap. Indexes are built on first use, once.

The modules, in the order they depend on each other:

- ``tokens``: split text into words and fold them for matching;
- ``inflection``: the Russian case forms and demonym forms generated at build time;
- ``entries``: the entities and what an indexed form stands for;
- ``index``: the word trie and Chinese dictionary, and the builder that fills them;
- ``build``: the lexicon built once from its data files, the gazetteer and CLDR;
- ``typos``: one-letter typos of country names;
- ``matching``: ``find_entities``, the longest non-overlapping matches in a text;
- ``normalisation``: ``normalise``, the value of one asked-for entity in an answer.

Callers import from the module that holds what they use.
"""
