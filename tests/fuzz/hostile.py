"""Seeded generators of hostile Telegram updates and webhook bodies, grouped by kind.

Every generator takes a ``random.Random`` so a run is reproducible from its seed. Updates are
built around a valid private text message and then broken in one way per kind; each case
carries its own chat id so a test can tell, chat by chat, whether the bot answered.
"""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

# Text that is hard on parsers, encoders and databases.
NASTY_TEXTS = (
    "", " ", "\n\t ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ud83d", "\ufeffhello",
    "\u202egnp.exe", "\u2060/start", "\uffff\ufffe", "𝕳𝖊𝖑𝖑𝖔", "👨‍👩‍👧‍👦" * 50, "Z̴̡̛͈͓̟a̷l̴g̶o̵" * 20,
    "/start", "/start@other_bot", "/reply", "/reply 99999999999999999999999999 hi",
    "/note #-1 x", "/open 0", "/request_human{\"x\": 1}", '/restart', "<b>bold</b> &amp;",
    "' OR 1=1; --", "{{7*7}}", "%s%s%s%n", "\\u0000", "null", "[]", "{}",
)
SCALARS: tuple[Any, ...] = (None, True, False, 0, -1, 2**62, -(2**62), 1.5, float("1e308"),
                            "", "x", "\ud800", [], {}, [None], {"": None})
# Integers outside the signed 64 bits of a database BIGINT (no real Telegram id is near them).
BIG_INTS = (2**63, -(2**63) - 1, 2**70)
MESSAGE_KINDS = ("message", "edited_message")
UNKNOWN_KINDS = ("channel_post", "edited_channel_post", "message_reaction",
                 "message_reaction_count", "inline_query", "chosen_inline_result",
                 "shipping_query", "pre_checkout_query", "poll", "poll_answer",
                 "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
                 "removed_chat_boost", "business_connection", "business_message",
                 "deleted_business_messages", "purchased_paid_media", "totally_new_kind",
                 "__proto__", "")


@dataclass
class Case:
    """One hostile input: its kind, the chat it claims to come from, and the update."""

    kind: str
    chat_id: int
    update: JSON


def random_text(rng: random.Random, max_len: int = 60) -> str:
    """Text mixing ASCII, other scripts, emoji, controls and (sometimes) lone surrogates."""
    if rng.random() < 0.3:
        return rng.choice(NASTY_TEXTS)
    pools = (string.printable, "éàçñøßЖжиأبت中文字ह", "😀🚀🇰🇪", "\x00\x1f\x7f\u200b\u2028",
             "\ud800\udbff\udc00\udfff")
    weights = (6, 3, 1, 1, 0.3)
    return "".join(rng.choice(rng.choices(pools, weights)[0])
                   for _ in range(rng.randint(0, max_len)))


def random_json(rng: random.Random, depth: int = 0) -> Any:
    """Any JSON value (lists and objects up to a few levels)."""
    roll = rng.random()
    if depth > 3 or roll < 0.4:
        return rng.choice(SCALARS) if rng.random() < 0.6 else random_text(rng, 12)
    if roll < 0.7:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {random_text(rng, 8): random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def private_message(chat_id: int, text: str = "hello", lang: str | None = "en") -> JSON:
    """A well-formed private text message."""
    return {"message_id": 1, "date": int(time.time()), "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "F"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "F", "language_code": lang}}


def _random_json_case(rng: random.Random, chat_id: int) -> JSON:
    body = random_json(rng)
    if isinstance(body, dict):
        body.pop("update_id", None)
        return body
    return {rng.choice(MESSAGE_KINDS + UNKNOWN_KINDS): body}


def _wrong_types(rng: random.Random, chat_id: int) -> JSON:
    message = private_message(chat_id, random_text(rng))
    for _ in range(rng.randint(1, 3)):
        path = rng.choice([("message_id",), ("date",), ("text",), ("chat",), ("chat", "id"),
                           ("chat", "type"), ("from",), ("from", "id"), ("from", "is_bot"),
                           ("from", "language_code"), ("entities",), ("reply_markup",),
                           ("caption",), ("photo",), ("sticker",), ("from", "first_name")])
        target = message
        for key in path[:-1]:
            target = target[key] if isinstance(target.get(key), dict) else {}
        target[path[-1]] = rng.choice(SCALARS) if rng.random() < 0.7 else random_json(rng)
    return {rng.choice(MESSAGE_KINDS): message}


def _missing_fields(rng: random.Random, chat_id: int) -> JSON:
    message = private_message(chat_id, random_text(rng))
    for key in rng.sample(["message_id", "date", "chat", "from", "text"], rng.randint(1, 3)):
        message.pop(key)
    if "chat" in message and rng.random() < 0.5:
        message["chat"].pop(rng.choice(["id", "type"]))
    if "from" in message and rng.random() < 0.3:
        message["from"].pop(rng.choice(["id", "is_bot", "first_name"]))
    return {rng.choice(MESSAGE_KINDS): message}


def _deep_nesting(rng: random.Random, chat_id: int, max_depth: int = 150) -> JSON:
    message = private_message(chat_id, "deep")
    depth = rng.randint(5, max_depth)
    if rng.random() < 0.5:  # replies of replies of replies ...
        inner = private_message(chat_id, "inner")
        for _ in range(depth):
            inner = {**private_message(chat_id, "r"), "reply_to_message": inner}
        message["reply_to_message"] = inner
    else:  # an unknown field holding nested lists and objects
        value: Any = "bottom"
        for level in range(depth):
            value = [value] if level % 2 else {"k": value}
        message[rng.choice(["x_unknown", "reply_markup", "entities", "via_bot"])] = value
    return {"message": message}


def _huge_entities(rng: random.Random, chat_id: int) -> JSON:
    length = rng.choice([4096, 5000, 20_000, 100_000])
    text = (random_text(rng, 40) or "a") * (length // 20)
    text = text[:length]
    entities = [{"type": rng.choice(["bold", "bot_command", "url", "mention", "text_link",
                                     "custom_emoji", "no_such_type"]),
                 "offset": rng.choice([0, rng.randint(-5, length + 50)]),
                 "length": rng.choice([1, rng.randint(-3, length * 2)]),
                 **({"url": random_text(rng, 30)} if rng.random() < 0.2 else {})}
                for _ in range(rng.choice([1, 100, 3000]))]
    message = private_message(chat_id)
    if rng.random() < 0.5:
        message.pop("text")
        message["photo"] = [{"file_id": "p", "file_unique_id": "u", "width": 1, "height": 1}]
        message["caption"] = text
        message["caption_entities"] = entities
    else:
        message["text"] = text
        message["entities"] = entities
    return {"message": message}


def _odd_unicode(rng: random.Random, chat_id: int) -> JSON:
    text = "".join(rng.choice(NASTY_TEXTS) for _ in range(rng.randint(1, 6))) or "\ud800"
    message = private_message(chat_id, text, lang=rng.choice(["en", "\ud800", "", "xx-YY",
                                                              "ar", None]))
    if rng.random() < 0.3:
        message["from"]["first_name"] = random_text(rng)
    if rng.random() < 0.3:
        message["chat"]["first_name"] = random_text(rng)
    return {"message": message}


def _unknown_kind(rng: random.Random, chat_id: int) -> JSON:
    kind = rng.choice(UNKNOWN_KINDS)
    if rng.random() < 0.5:
        return {kind: private_message(chat_id, random_text(rng))}
    return {kind: random_json(rng)}


def _forged_callback(rng: random.Random, chat_id: int) -> JSON:
    data: Any = rng.choice([
        random_text(rng, 70), "forged-token", "", "A" * 12, "A" * 25, "x" * 64, "x" * 300,
        "\x00" * 5, "\ud800abc", "%", "' or 1=1 --", None, 12, ["a"], {"kind": "say"},
    ])
    query: JSON = {"id": str(rng.randint(1, 10**18)), "chat_instance": "1",
                   "from": {"id": chat_id, "is_bot": False, "first_name": "F"},
                   "message": {"message_id": rng.randint(-3, 10**6), "date": int(time.time()),
                               "chat": {"id": chat_id, "type": "private", "first_name": "F"},
                               "text": "(forged)"}}
    if data is not None:
        query["data"] = data
    roll = rng.random()
    if roll < 0.15:
        query.pop("message")
    elif roll < 0.25:
        query["message"]["date"] = 0  # an inaccessible message
    elif roll < 0.3:
        query.pop("from")
    elif roll < 0.35:
        query["id"] = rng.choice([v for v in SCALARS if not isinstance(v, str)])
    if rng.random() < 0.1:
        query["game_short_name"] = random_text(rng, 10)
    return {"callback_query": query}


def _valid(rng: random.Random, chat_id: int) -> JSON:
    return {"message": private_message(chat_id, rng.choice(["hello", "hi", "thanks"]),
                                       lang=rng.choice(["en", "fr", "es"]))}


GENERATORS: dict[str, Callable[[random.Random, int], JSON]] = {
    "random_json": _random_json_case,
    "wrong_types": _wrong_types,
    "missing_fields": _missing_fields,
    "deep_nesting": _deep_nesting,
    "huge_entities": _huge_entities,
    "odd_unicode": _odd_unicode,
    "unknown_kind": _unknown_kind,
    "forged_callback": _forged_callback,
    "valid": _valid,
}


def cases(rng: random.Random, counts: dict[str, int], first_chat: int) -> Iterator[Case]:
    """``counts[kind]`` cases of each kind, shuffled, each in a chat of its own."""
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    for offset, kind in enumerate(kinds):
        chat_id = first_chat + offset
        yield Case(kind, chat_id, GENERATORS[kind](rng, chat_id))


def dumps(value: Any) -> bytes:
    """JSON as Telegram sends it: UTF-8, non-ASCII escaped (so lone surrogates survive)."""
    return json.dumps(value, ensure_ascii=True).encode()


def raw_bodies(rng: random.Random, counts: dict[str, int], first_id: int
               ) -> Iterator[tuple[str, bytes]]:
    """Webhook bodies that are not well-formed updates, ``counts[kind]`` of each kind."""
    makers: dict[str, Callable[[int], bytes]] = {
        "not_json": lambda _: bytes(rng.randrange(256) for _ in range(rng.randint(0, 200))),
        "invalid_utf8": lambda i: (b'{"update_id": %d, "message": {"text": "' % i
                                   + rng.choice([b"\xff", b"\xc3\x28", b"\xed\xa0\x80",
                                                 b"\xf0\x28\x8c\xbc", b"\x80"]) + b'"}}'),
        "not_an_object": lambda _: dumps(rng.choice([[], [1, 2], "x", 5, None, True])),
        "no_update_id": lambda _: dumps({"message": private_message(1)}),
        "bad_update_id": lambda _: dumps({"update_id": rng.choice(["1", 1.5, None, [], "x"]),
                                          "message": private_message(1)}),
        "deep_json": lambda i: (b'{"update_id": %d, "x": ' % i + b"[" * rng.choice(
            [2_000, 50_000, 400_000]) + b"]" * 3 + b"}"),
        "oversized": lambda i: dumps({"update_id": i,
                                      "message": private_message(1, "x" * (1024 * 1024 + 10))}),
        "random_object": lambda i: dumps({"update_id": i, **{
            rng.choice(UNKNOWN_KINDS + MESSAGE_KINDS): random_json(rng)}}),
    }
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    for offset, kind in enumerate(kinds):
        yield kind, makers[kind](first_id + offset)
