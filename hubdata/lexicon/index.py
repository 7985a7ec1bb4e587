"""The search structures (a word trie, a Chinese dictionary) and the builder that fills them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hubdata.lexicon.entries import Entry
from hubdata.lexicon.inflection import ru_forms
from hubdata.lexicon.tokens import BRACKETS, CJK_RE, TOKEN_RE, fold, script_of

MIN_TYPO_LEN = 6


@dataclass(frozen=True)
class Index:
    trie: dict[str, Any]  # word -> child; "" -> {entity: entry} where a form ends
    cjk: dict[str, dict[str, Entry]]  # Chinese form -> {entity: entry}
    cjk_lengths: dict[str, list[int]]  # first character -> lengths of its forms, longest first


def form_pattern(text: str) -> tuple[str, ...] | str:
    """Index keys of a form: a tuple of folded words (``word*`` kept), or a Chinese string."""
    if CJK_RE.search(text):
        if any(c.isalnum() for c in CJK_RE.sub("", text)):
            raise ValueError(f"mixed Chinese and other script in {text!r}")
        return "".join(c for c in text.translate(BRACKETS) if c in "（）" or CJK_RE.match(c))
    keys: list[str] = []
    for chunk in text.split():
        words = [fold(m.group()) for m in TOKEN_RE.finditer(chunk)]
        if words and chunk.endswith("*"):
            words[-1] += "*"
        keys.extend(words)
    return tuple(keys)


class Builder:
    def __init__(self) -> None:
        self.trie: dict[str, Any] = {}
        self.forms: dict[str, set[str]] = {}
        self.prefixes: set[str] = set()
        self.cjk: dict[str, dict[str, Entry]] = {}
        self.words: set[str] = set()
        self.typo_values: dict[str, str] = {}
        self.relaxed: dict[tuple[str, ...], str] = {}

    def index(self) -> Index:
        lengths: dict[str, set[int]] = {}
        for key in self.cjk:
            lengths.setdefault(key[0], set()).add(len(key))
        cjk_lengths = {c: sorted(ns, reverse=True) for c, ns in lengths.items()}
        return Index(self.trie, self.cjk, cjk_lengths)

    def add(self, text: str, entry: Entry, *, typo_target: bool = True) -> None:
        """Index one form; the first entry of an entity at the same key wins.

        A single-word country name with ``typo_target`` also matches one-letter typos.
        """
        key = form_pattern(text)
        if not key:
            return
        if isinstance(key, str):
            self.cjk.setdefault(key, {}).setdefault(entry.entity, entry)
            return
        node = self.trie
        for word in key:
            node = node.setdefault(word, {})
            if word.endswith("*"):
                self.prefixes.add(word[:-1])
            else:
                self.words.add(word)
                if script_of(word) == "ru":
                    for form in ru_forms(word):
                        self.forms.setdefault(form, set()).add(word)
        terminal = node.setdefault("", {})
        if terminal.setdefault(entry.entity, entry) is not entry:
            return
        if entry.strict or entry.cue:
            self.relaxed.setdefault(key, entry.value)
        elif typo_target and entry.entity == "country" and len(key) == 1:
            word = key[0]
            forms = {word}
            if script_of(word) == "ru":  # the common case forms only: one letter changed/added
                forms |= {f for f in ru_forms(word) if len(f) <= len(word) + 1}
            for form in forms:
                if len(form) >= MIN_TYPO_LEN and script_of(form) != "ar":
                    self.typo_values.setdefault(form, entry.value)
