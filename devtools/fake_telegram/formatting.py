"""Entity parsing for the fake Bot API: parse_mode HTML, MarkdownV2 and legacy Markdown.

Telegram turns formatted text into plain text plus a list of MessageEntity objects whose offsets
and lengths count UTF-16 code units, and it rejects malformed markup with
"Bad Request: can't parse entities: ...". These parsers follow the documented rules closely
enough to catch the mistakes bots make in practice (unsupported tags such as ``<br>``, unclosed
tags, unescaped MarkdownV2 reserved characters); they are not byte-for-byte copies of Telegram's.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

Entity = dict[str, Any]

_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "span": "spoiler",
}
MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


class EntityParseError(ValueError):
    """Raised with the text that follows "Bad Request: can't parse entities: "."""


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units (the unit of entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def parse_text(text: str, parse_mode: str | None) -> tuple[str, list[Entity]]:
    """Parse ``text`` according to ``parse_mode`` and trim surrounding whitespace as Telegram does.

    Args:
        text: The text as the bot sent it.
        parse_mode: "HTML", "MarkdownV2", "Markdown" (case-insensitive) or None/"" for plain.

    Returns:
        The plain text and its entities.

    Raises:
        EntityParseError: The markup is malformed or the parse mode is unknown.
    """
    mode = (parse_mode or "").lower()
    entities: list[Entity]
    if mode == "":
        plain, entities = text, []
    elif mode == "html":
        plain, entities = _parse_html(text)
    elif mode == "markdownv2":
        plain, entities = _MarkdownParser(text, v2=True).parse()
    elif mode == "markdown":
        plain, entities = _MarkdownParser(text, v2=False).parse()
    else:
        raise EntityParseError(f"unsupported parse_mode {parse_mode!r}")
    return _trim(plain, [e for e in entities if e["length"] > 0])


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    stripped = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip()
    total = utf16_len(stripped)
    out = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, total)
        if end > start:
            out.append({**entity, "offset": start, "length": end - start})
    return stripped, sorted(out, key=lambda e: (e["offset"], -e["length"]))


class _HtmlEntityParser(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.source = source
        self.parts: list[str] = []
        self.pos = 0  # UTF-16 units emitted so far
        self.stack: list[tuple[str, Entity]] = []
        self.entities: list[Entity] = []

    def _byte_offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.split("\n")
        index = sum(len(x) + 1 for x in lines[: line - 1]) + col
        return len(self.source[:index].encode("utf-8"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind = _HTML_TAGS.get(tag)
        if tag == "span" and attributes.get("class") != "tg-spoiler":
            kind = None
        if kind is None:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self._byte_offset()}'
            )
        entity: Entity = {"type": kind, "offset": self.pos, "length": 0}
        if tag == "a":
            entity["url"] = attributes.get("href") or ""
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = attributes.get("emoji-id") or ""
        elif tag == "blockquote" and "expandable" in attributes:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and self.stack and self.stack[-1][0] == "pre":
            language = (attributes.get("class") or "").removeprefix("language-")
            if language:
                self.stack[-1][1]["language"] = language
            entity["type"] = "_inner_code"
        self.stack.append((tag, entity))

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1][0] != tag:
            raise EntityParseError(f"Unexpected end tag at byte offset {self._byte_offset()}")
        _, entity = self.stack.pop()
        entity["length"] = self.pos - entity["offset"]
        if entity["type"] != "_inner_code":
            self.entities.append(entity)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.pos += utf16_len(data)


def _parse_html(text: str) -> tuple[str, list[Entity]]:
    parser = _HtmlEntityParser(text)
    parser.feed(text)
    parser.close()
    if parser.stack:
        tag = parser.stack[-1][0]
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
    return "".join(parser.parts), parser.entities


class _MarkdownParser:
    """A small MarkdownV2 / legacy Markdown parser following the Bot API's formatting rules."""

    V2_MARKS = (
        ("```", "pre"),
        ("||", "spoiler"),
        ("__", "underline"),
        ("*", "bold"),
        ("_", "italic"),
        ("~", "strikethrough"),
        ("`", "code"),
    )
    V1_MARKS = (("```", "pre"), ("*", "bold"), ("_", "italic"), ("`", "code"))

    def __init__(self, text: str, *, v2: bool) -> None:
        self.text = text
        self.v2 = v2
        self.i = 0
        self.out: list[str] = []
        self.pos = 0
        self.stack: list[tuple[str, Entity, int]] = []
        self.entities: list[Entity] = []

    def _emit(self, chunk: str) -> None:
        self.out.append(chunk)
        self.pos += utf16_len(chunk)

    def _byte(self, index: int) -> int:
        return len(self.text[:index].encode("utf-8"))

    def _in_code(self) -> bool:
        return bool(self.stack) and self.stack[-1][0] in ("pre", "code")

    def parse(self) -> tuple[str, list[Entity]]:
        text = self.text
        marks = self.V2_MARKS if self.v2 else self.V1_MARKS
        while self.i < len(text):
            ch = text[self.i]
            if ch == "\\" and self.i + 1 < len(text) and (self.v2 or text[self.i + 1] in "_*`["):
                nxt = text[self.i + 1]
                if self.v2 and not self._in_code() and not 0 < ord(nxt) < 127:
                    self._emit(ch)
                    self.i += 1
                    continue
                self._emit(nxt)
                self.i += 2
                continue
            if self._in_code():
                kind = self.stack[-1][0]
                closer = "```" if kind == "pre" else "`"
                if text.startswith(closer, self.i):
                    self._close(kind)
                    self.i += len(closer)
                else:
                    self._emit(ch)
                    self.i += 1
                continue
            if self.v2 and ch == ">" and (self.i == 0 or text[self.i - 1] == "\n"):
                self._blockquote_line()
                continue
            for mark, kind in marks:
                if text.startswith(mark, self.i):
                    self._toggle(kind, mark)
                    break
            else:
                if ch == "[":
                    self._open("text_link", 1)
                elif ch == "]" and self.stack and self.stack[-1][0] == "text_link":
                    self._close_link()
                    continue
                elif self.v2 and ch in MDV2_RESERVED:
                    raise EntityParseError(
                        f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
                    )
                else:
                    self._emit(ch)
                    self.i += 1
        if self.stack:
            _, _, start = self.stack[-1]
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {self._byte(start)}"
            )
        return "".join(self.out), self.entities

    def _open(self, kind: str, width: int) -> None:
        entity: Entity = {"type": kind, "offset": self.pos, "length": 0}
        self.stack.append((kind, entity, self.i))
        self.i += width
        if kind == "pre":
            newline = self.text.find("\n", self.i)
            language = self.text[self.i : newline] if newline >= 0 else ""
            if language and " " not in language and "`" not in language:
                entity["language"] = language
                self.i = newline + 1

    def _close(self, kind: str) -> None:
        _, entity, _ = self.stack.pop()
        entity["length"] = self.pos - entity["offset"]
        self.entities.append(entity)

    def _toggle(self, kind: str, mark: str) -> None:
        if self.stack and self.stack[-1][0] == kind:
            self._close(kind)
            self.i += len(mark)
        elif any(k == kind for k, _, _ in self.stack):
            raise EntityParseError(
                f"Can't find end of {kind.capitalize()} entity at byte offset {self._byte(self.i)}"
            )
        else:
            self._open(kind, len(mark))

    def _close_link(self) -> None:
        text = self.text
        if not text.startswith("(", self.i + 1):
            if self.v2:
                raise EntityParseError(
                    "Character ']' is reserved and must be escaped with the preceding '\\'"
                )
            self.stack.pop()  # legacy Markdown: "[text]" without a URL stays plain text
            self.i += 1
            return
        end = self.i + 2
        url: list[str] = []
        while end < len(text) and text[end] != ")":
            if text[end] == "\\" and end + 1 < len(text):
                end += 1
            url.append(text[end])
            end += 1
        if end >= len(text):
            raise EntityParseError(
                f"Can't find end of a url at byte offset {self._byte(self.i + 1)}"
            )
        _, entity, _ = self.stack.pop()
        entity["length"] = self.pos - entity["offset"]
        entity["url"] = "".join(url)
        self.entities.append(entity)
        self.i = end + 1

    def _blockquote_line(self) -> None:
        self.i += 1
        start = self.pos
        last = next((e for e in reversed(self.entities) if e["type"] == "blockquote"), None)
        end = self.text.find("\n", self.i)
        end = len(self.text) if end < 0 else end
        line_parser = _MarkdownParser(self.text[self.i : end], v2=True)
        plain, inner = line_parser.parse()
        for entity in inner:
            self.entities.append({**entity, "offset": entity["offset"] + start})
        self._emit(plain)
        if last and last["type"] == "blockquote" and last["offset"] + last["length"] + 1 == start:
            last["length"] = self.pos - last["offset"]
        else:
            self.entities.append(
                {"type": "blockquote", "offset": start, "length": self.pos - start}
            )
        self.i = end
