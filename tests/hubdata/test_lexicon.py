"""Tests of hubdata.lexicon: multilingual entity matching and normalisation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hubdata.lexicon.matching import FormIndex, find_entities
from hubdata.lexicon.normalisation import normalise
from hubdata.settings import PROJECT_ROOT

C, S, F, L = "country", "sector", "funding_type", "language"

SENTENCES = [
    # English
    (
        "we are a Kenyan agritech startup looking for grants",
        {(C, "KE"), (F, "grant"), (S, "agritech")},
    ),
    (
        "hi, 3 founders building a mobile money app in Côte d'Ivoire, need an angel investor",
        {(C, "CI"), (F, "equity"), (S, "fintech")},
    ),
    (
        "any loans for solar startups in the DRC or Congo-Brazzaville?",
        {(C, "CD"), (C, "CG"), (F, "loan"), (S, "cleantech")},
    ),
    (
        "pitch competitions for telemedicine founders in Papua New Guinea",
        {(C, "PG"), (F, "prize"), (S, "healthtech")},
    ),
    (
        "can you answer in French please",
        {(L, "fr")},
    ),
    (
        "we run an online shop in the UAE and Saudi Arabia",
        {(C, "AE"), (C, "SA"), (S, "ecommerce")},
    ),
    # French
    (
        "nous sommes une startup sénégalaise de paiement mobile, on cherche des subventions",
        {(C, "SN"), (F, "grant"), (S, "fintech")},
    ),
    (
        "levée de fonds pour une plateforme de livraison au Cameroun",
        {(C, "CM"), (F, "equity"), (S, "logistics")},
    ),
    (
        "un prêt bancaire pour notre école en ligne en RDC ?",
        {(C, "CD"), (F, "loan"), (S, "edtech")},
    ),
    (
        "je suis prêt à lancer notre startup au Bénin",
        {(C, "BJ")},
    ),
    (
        "répondez en arabe svp",
        {(L, "ar")},
    ),
    # Spanish
    (
        "subvenciones para fintech en Mexico",
        {(C, "MX"), (F, "grant"), (S, "fintech")},
    ),
    (
        "somos de Perú y hacemos una app de riego para campesinos",
        {(C, "PE"), (S, "agritech")},
    ),
    (
        "busco inversionistas para mi startup de comercio electrónico en Colombia",
        {(C, "CO"), (F, "equity"), (S, "ecommerce")},
    ),
    (
        "hay premios para startups de energía solar en Kenia?",
        {(C, "KE"), (F, "prize"), (S, "cleantech")},
    ),
    (
        "me puedes hablar en frances",
        {(L, "fr")},
    ),
    # Portuguese
    (
        "somos uma startup queniana de saúde digital",
        {(C, "KE"), (S, "healthtech")},
    ),
    (
        "editais para startups de educação em Moçambique",
        {(C, "MZ"), (F, "grant"), (S, "edtech")},
    ),
    (
        "procuramos empréstimo para logística em Angola",
        {(C, "AO"), (F, "loan"), (S, "logistics")},
    ),
    (
        "trabalho com agricultores na Guiné-Bissau",
        {(C, "GW"), (S, "agritech")},
    ),
    (
        "pode responder em francês?",
        {(L, "fr")},
    ),
    # Russian
    (
        "мы финтех-стартап из Казахстана, ищем инвестора",
        {(C, "KZ"), (F, "equity"), (S, "fintech")},
    ),
    (
        "гранты для агростартапов в Кении",
        {(C, "KE"), (F, "grant"), (S, "agritech")},
    ),
    (
        "конкурс для стартапов в Узбекистане и Кыргызстане",
        {(C, "KG"), (C, "UZ"), (F, "prize")},
    ),
    (
        "кредит на доставку по Таджикистану",
        {(C, "TJ"), (F, "loan"), (S, "logistics")},
    ),
    (
        "можно по-французски?",
        {(L, "fr")},
    ),
    (
        "мы работаем с Нигерией и Египтом",
        {(C, "EG"), (C, "NG")},
    ),
    # Arabic
    (
        "نبحث عن منحة لشركة ناشئة في مصر",
        {(C, "EG"), (F, "grant")},
    ),
    (
        "شركة تكنولوجيا مالية بكينيا تبحث عن مستثمر",
        {(C, "KE"), (F, "equity"), (S, "fintech")},
    ),
    (
        "قروض للمزارعين في المغرب والسنغال",
        {(C, "MA"), (C, "SN"), (F, "loan"), (S, "agritech")},
    ),
    (
        "مسابقات للشركات الناشئة في التجارة الإلكترونية للمغرب",
        {(C, "MA"), (F, "prize"), (S, "ecommerce")},
    ),
    (
        "ممكن ترد بالفرنسية؟",
        {(L, "fr")},
    ),
    (
        "肯尼亚的农业",
        {(C, "KE"), (S, "agritech")},
    ),
    # Chinese
    (
        "我们在尼日利亚做移动支付，想找天使投资",
        {(C, "NG"), (F, "equity"), (S, "fintech")},
    ),
    (
        "刚果金有电商的贷款吗",
        {(C, "CD"), (F, "loan"), (S, "ecommerce")},
    ),
    (
        "埃及和摩洛哥的创业大赛",
        {(C, "EG"), (C, "MA"), (F, "prize")},
    ),
    (
        "请用法语回答",
        {(L, "fr")},
    ),
    (
        "哈萨克斯坦的远程医疗资助",
        {(C, "KZ"), (F, "grant"), (S, "healthtech")},
    ),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_sentences(text: str, expected: set[tuple[str, str]]) -> None:
    assert {(m.entity, m.value) for m in find_entities(text)} == expected


@pytest.mark.parametrize(
    ("text", "surface", "value"),
    [
        ("в Кении", "Кении", "KE"),
        ("из Казахстана", "Казахстана", "KZ"),
        ("вместе с Нигерией", "Нигерией", "NG"),
        ("по Узбекистану", "Узбекистану", "UZ"),
        ("в Южной Африке", "Южной Африке", "ZA"),
        ("в Объединённых Арабских Эмиратах", "Объединённых Арабских Эмиратах", "AE"),
        ("кенийский стартап", "кенийский", "KE"),
        ("бكينيا".replace("б", "ب"), "بكينيا", "KE"),
        ("في مصر", "مصر", "EG"),
        ("للمغرب", "للمغرب", "MA"),
        ("والسنغال", "والسنغال", "SN"),
        ("بالإمارات", "بالإمارات", "AE"),
        ("شركة كينية", "كينية", "KE"),
        ("Quénia", "Quénia", "KE"),
        ("Ivory Coast", "Ivory Coast", "CI"),
        ("Swaziland", "Swaziland", "SZ"),
        ("Burma", "Burma", "MM"),
        ("a Nigerian founder", "Nigerian", "NG"),
        ("des fondateurs sénégalais", "sénégalais", "SN"),
        ("una empresa keniana", "keniana", "KE"),
        ("Congo - Kinshasa", "Congo - Kinshasa", "CD"),
        ("Bosnia and Herzegovina", "Bosnia and Herzegovina", "BA"),
        ("São Tomé & Príncipe", "São Tomé & Príncipe", "ST"),
        ("south africa", "south africa", "ZA"),
        ("SENEGAL", "SENEGAL", "SN"),
        ("a startup in turkey", "turkey", "TR"),
        ("Jordan", "Jordan", "JO"),
        ("Georgia", "Georgia", "GE"),
        ("Niger", "Niger", "NE"),
        ("Guinea", "Guinea", "GN"),
        ("Chad", "Chad", "TD"),
        ("we are in the US", "US", "US"),
        ("南非", "南非", "ZA"),
        ("刚果（金）", "刚果（金）", "CD"),
        ("ولد في عُمان", "عُمان", "OM"),
    ],
)
def test_country_forms(text: str, surface: str, value: str) -> None:
    matches = [m for m in find_entities(text) if m.entity == C]
    assert [(m.text, m.value) for m in matches] == [(surface, value)]


@pytest.mark.parametrize(
    ("text", "surface", "value"),
    [
        ("Nigria", "Nigria", "NG"),  # a letter left out
        ("startups in Tanzaina", "Tanzaina", "TZ"),  # two letters swapped
        ("Ugaanda", "Ugaanda", "UG"),  # a letter doubled
        ("Маракко", "Маракко", "MA"),  # a sound-alike vowel
        ("Казахтан", "Казахтан", "KZ"),
    ],
)
def test_typos(text: str, surface: str, value: str) -> None:
    assert [(m.text, m.value) for m in find_entities(text)] == [(surface, value)]


@pytest.mark.parametrize(
    "text",
    [
        "tell us more about it",  # "us" is not the USA
        "I live in a big city",  # "in" is not India
        "chad and I met at the hub",  # a name, not the country
        "não era isso que eu queria",  # one letter from Quênia, but a common word
        "500 000 francs CFA",  # one letter from France
        "vc é um bot?",  # Portuguese "você", not venture capital
        "I don't know",  # French "don" (gift) hides in "don't"
        "دعم مالي للشركات",  # مالي: "financial", not Mali
        "مدرسة للبنين",  # بنين: "boys", not Benin
        "كوورك في عمّان",  # Amman, not Oman
        "发展中国家的会员费",  # "developing countries" contains 中国
        "这是中非合作论坛",  # China-Africa, not the Central African Republic
        "startups across Latin America",
        "Союз и Международный союз электросвязи",
        "кроме того, нам нужна помощь",  # того (of that), not Togo
        "это самое главное",  # самое (the most), not Samoa
        "une réunion demain",  # a meeting, not La Réunion
        "quelle est la politique du climat des affaires",
        "membership of the International Telecommunication Union",
        "a romance in chinatown",  # no country inside a longer word
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_entities(text) == []


def test_chinese_longest_match_and_no_overlap() -> None:
    matches = find_entities("尼日利亚和尼日尔，几内亚比绍")
    assert [(m.text, m.value) for m in matches] == [
        ("尼日利亚", "NG"),
        ("尼日尔", "NE"),
        ("几内亚比绍", "GW"),
    ]


def test_longest_match_wins() -> None:
    text = "Equatorial Guinea, Guinea-Bissau and Papua New Guinea"
    assert [m.value for m in find_entities(text)] == ["GQ", "GW", "PG"]
    assert [m.text for m in find_entities("credit scoring for farmers")] == [
        "credit scoring",
        "farmers",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "  Grants   in   CÔTE D’IVOIRE for e-commerce!",
        "مرحبا، نبحث عن منحة للطاقة الشمسية في موريتانيا",
        "Здравствуйте! Ищем грант на солнечную энергетику в Кыргызстане.",
        "你好！我们在肯尼亚做太阳能，需要贷款。",
    ],
)
def test_offsets_index_the_original_text(text: str) -> None:
    matches = find_entities(text)
    assert len(matches) >= 3
    for m in matches:
        assert text[m.start : m.end] == m.text
    spans = [(m.start, m.end) for m in matches]
    assert spans == sorted(spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:], strict=False))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("in French", "fr"),
        ("en français", "fr"),
        ("en frances", "fr"),
        ("по-французски", "fr"),
        ("на французском", "fr"),
        ("用法语", "fr"),
        ("法文", "fr"),
        ("بالفرنسية", "fr"),
        ("em francês", "fr"),
        ("English please", "en"),
        ("en español", "es"),
        ("на русском", "ru"),
        ("中文", "zh"),
        ("بالعربي", "ar"),
        ("em português", "pt"),
    ],
)
def test_languages(text: str, value: str) -> None:
    assert [(m.entity, m.value) for m in find_entities(text)] == [(L, value)]


@pytest.mark.parametrize(
    ("entity", "answer", "value"),
    [
        ("country", "kenia", "KE"),
        ("country", "Kenya, Nairobi", "KE"),
        ("country", "chad", "TD"),  # alone, an answer is not ambiguous
        ("country", "usa", "US"),
        ("country", "ke", "KE"),
        ("country", "مالي", "ML"),
        ("sector", "fintech", "fintech"),
        ("sector", "we help farmers sell crops", "agritech"),
        ("sector", "other", "other"),
        ("funding_type", "a loan", "loan"),
        ("language", "русский", "ru"),
        ("language", "pt", "pt"),
        ("country", "somewhere nice", None),
        ("sector", "no idea", None),
    ],
)
def test_normalise(entity: str, answer: str, value: str | None) -> None:
    assert normalise(entity, answer) == value


def test_extra_forms_compete_with_the_lexicon() -> None:
    extra = FormIndex([("country", "KE", "Keny"), ("sector", "edtech", "skills app")])
    text = "a skills app in Keny and Uganda"
    assert find_entities(text) == [m for m in find_entities(text) if m.value == "UG"]
    found = [(m.entity, m.value, m.text) for m in find_entities(text, extra=extra)]
    assert found == [
        ("sector", "edtech", "skills app"),
        ("country", "KE", "Keny"),
        ("country", "UG", "Uganda"),
    ]


def test_import_builds_nothing() -> None:
    code = (
        "import hubdata.lexicon.normalisation; import hubdata.lexicon.build as x; "
        "assert x.get_lexicon.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
