"""Mask personal data in founder messages before a maintainer sees or stores them.

Masks e-mail addresses, links, phone numbers, long digit runs (six digits or more: account,
card and ID numbers) and the name a founder gives after "my name is" in the seven languages.
Each is replaced by a placeholder (``<email>``, ``<link>``, ``<phone>``, ``<number>``,
``<name>``), so the masked text can still be labelled and trained on.
"""

from __future__ import annotations

import re

EMAIL = "<email>"
LINK = "<link>"
PHONE = "<phone>"
NUMBER = "<number>"
NAME = "<name>"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_LINK = re.compile(
    r"(?:https?://|www\.)\S+"  # anything with a scheme or www.
    r"|\b(?:t\.me|wa\.me|bit\.ly)/\S+"  # messenger and short links
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|co|info|biz|africa|ly|me|app|dev)"
    r"(?:/\S*)?(?![\w.])",
    re.IGNORECASE,
)
# A phone number: optional +, then at least 8 digits with spaces, dots, dashes or brackets.
# Digits with separators (spaces, dots, brackets, hyphens, dashes, slashes), also glued to a
# word ("x0712 345 678", "678pls", "0101x12"); eight digits or more make a phone number.
_PHONE = re.compile(r"(?<![\d+(])\(?\+?\(?\d[\d\s().\-\u2010-\u2015/]{6,}\d(?!\d)")
_LONG_DIGITS = re.compile(r"\d{6,}")

# The words that introduce a name, per language; what follows is masked (see _name_end).
_NAME_CUES = (
    r"my name is|my name's|i am called|i'm called|"
    r"je m'appelle|je m’appelle|mon nom est|moi c'est|"
    r"me llamo|mi nombre es|"
    r"meu nome é|me chamo|chamo-me|o meu nome é|"
    r"меня зовут|моё имя|мое имя|"
    r"اسمي|إسمي|انا اسمي"
)
_NAME_AFTER_CUE = re.compile(
    rf"\b(?:{_NAME_CUES})[\s:,]+(?P<name>[^\W\d_][\w'’-]*(?:\s+[^\W\d_][\w'’-]*){{0,2}})",
    re.IGNORECASE | re.UNICODE,
)
_NAME_ZH = re.compile(r"(?:我叫|我的名字是|我名叫)(?P<name>[\u4e00-\u9fff]{1,4})")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)


def _name_end(match: re.Match[str]) -> int:
    """Where the name after a cue ends: the first word, then capitalised words (in scripts
    with capitals) or one more word (in scripts without, such as Arabic)."""
    words = list(_WORD.finditer(match.group("name")))
    end = words[0].end()
    for word in words[1:3]:
        first = word.group()[0]
        caseless = first.lower() == first.upper()
        if not (first.isupper() or (caseless and word is words[1])):
            break
        end = word.end()
    return match.start("name") + end


def _mask_names(text: str) -> str:
    spans = [(m.start("name"), _name_end(m)) for m in _NAME_AFTER_CUE.finditer(text)]
    spans += [m.span("name") for m in _NAME_ZH.finditer(text)]
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + NAME + text[end:]
    return text


def mask(text: str) -> str:
    """Return ``text`` with personal data replaced by placeholders.

    Args:
        text: A message as the founder typed it.

    Returns:
        The text with e-mail addresses, links, phone numbers, digit runs of six or more and
        self-introduced names replaced by ``<email>``, ``<link>``, ``<phone>``, ``<number>``
        and ``<name>``.
    """
    text = _EMAIL.sub(EMAIL, text)
    text = _LINK.sub(LINK, text)
    text = _PHONE.sub(lambda m: PHONE if sum(c.isdigit() for c in m.group()) >= 8
                      else m.group(), text)
    text = _LONG_DIGITS.sub(NUMBER, text)
    return _mask_names(text)
