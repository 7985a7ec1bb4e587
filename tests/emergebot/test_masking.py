"""Personal data is masked before a maintainer sees an inbox item."""

from __future__ import annotations

import pytest

from emergebot.masking import mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me on +254 712 345 678 please", "call me on <phone> please"),
        ("my number: 0712-345-678", "my number: <phone>"),
        ("whatsapp (+234) 803 555 0101", "whatsapp <phone>"),
        ("write to amina.o+grants@startup.co.ke", "write to <email>"),
        ("see https://mystartup.africa/pitch?id=4 and www.example.org",
         "see <link> and <link>"),
        ("our channel t.me/agrihub_ke", "our channel <link>"),
        ("deck at pitch.io/deck", "deck at <link>"),
        ("account 12345678 at equity bank", "account <phone> at equity bank"),
        ("ref 9876543", "ref <number>"),
        ("my name is Amina Odhiambo and I need a grant", "my name is <name> and I need a grant"),
        ("My name is kwame, any mentors?", "My name is <name>, any mentors?"),
        ("je m'appelle Marie Dupont et je cherche un mentor",
         "je m'appelle <name> et je cherche un mentor"),
        ("me llamo Juan, busco inversión", "me llamo <name>, busco inversión"),
        ("meu nome é João Silva e preciso de ajuda", "meu nome é <name> e preciso de ajuda"),
        ("меня зовут Иван Петров, ищу грант", "меня зовут <name>, ищу грант"),
        ("اسمي أحمد علي، أبحث عن منحة", "اسمي <name>، أبحث عن منحة"),
        ("我叫王小明，想找投资", "我叫<name>，想找投资"),
    ],
)
def test_masks_personal_data(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "any grants for agritech in Kenya in 2025?",
        "we are 3 founders and need 20k USD",
        "events on 10/12 in Lagos",
        "Mon entreprise est à Dakar",
        "名字很重要吗",
    ],
)
def test_leaves_ordinary_messages_alone(text: str) -> None:
    assert mask(text) == text
