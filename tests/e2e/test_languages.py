"""Every intent family, in all seven languages, through the whole stack.

The phrases are written for this test and are not in the training data.
"""

from __future__ import annotations

import itertools

import pytest

from tests.e2e.harness import Stack

pytestmark = pytest.mark.e2e

RESULTS = ("results.found", "results.relaxed", "results.none")
TOPIC_FAMILIES = {
    "funding": "funding", "mentor": "mentor", "membership": "membership", "events": "events",
    "partnership": "partnership", "hubs": "hubs", "training": "training",
}
# family -> language -> message. Topic families name a country (and funding a sector) so that the
# answer is a result list whose first line names the topic. Asking for a person comes last: after
# it, the staff desk has the conversation.
PHRASES: dict[str, dict[str, str]] = {
    "greet": {"en": "good morning!", "fr": "bonsoir", "es": "buenas tardes", "ar": "مساء الخير",
              "ru": "добрый вечер", "zh": "晚上好", "pt": "bom dia"},
    "help": {"en": "what kind of things can you do for me?",
             "fr": "qu'est-ce que tu sais faire exactement ?",
             "es": "¿qué cosas puedes hacer por mí?", "ar": "ماذا يمكنك أن تفعل لي؟",
             "ru": "что ты умеешь делать?", "zh": "你能帮我做什么？",
             "pt": "o que você consegue fazer por mim?"},
    "bot_challenge": {"en": "wait, is this a robot answering?", "fr": "tu es un robot ?",
                      "es": "¿eres un bot o una persona?", "ar": "هل أنت روبوت؟",
                      "ru": "ты бот?", "zh": "你是机器人吗？", "pt": "você é um robô?"},
    "funding": {"en": "looking for grants for my fintech startup in Nigeria",
                "fr": "je cherche une subvention pour ma startup fintech au Sénégal",
                "es": "busco financiamiento para mi startup de fintech en Colombia",
                "ar": "أبحث عن منحة لشركتي الناشئة في مجال التكنولوجيا المالية في مصر",
                "ru": "ищу грант для финтех стартапа в Казахстане",
                "zh": "我想为我在肯尼亚的金融科技初创公司申请资助",
                "pt": "procuro financiamento para minha startup de fintech em Moçambique"},
    "mentor": {"en": "I would like a mentor to guide me on my business",
               "fr": "je voudrais être accompagné par un mentor expérimenté",
               "es": "quisiera encontrar un mentor para mi emprendimiento",
               "ar": "أريد مرشدا يساعدني في تطوير مشروعي",
               "ru": "мне нужен наставник для моего проекта",
               "zh": "我想找一位导师指导我的创业",
               "pt": "gostaria de encontrar um mentor para o meu negócio"},
    "membership": {"en": "how much does ITU membership cost for a small company?",
                   "fr": "combien coûte l'adhésion à l'UIT pour une PME ?",
                   "es": "¿cuánto cuesta ser miembro de la UIT para una pyme?",
                   "ar": "كم تكلفة عضوية الاتحاد الدولي للاتصالات للشركات الصغيرة؟",
                   "ru": "сколько стоит членство в МСЭ для малого бизнеса?",
                   "zh": "中小企业加入国际电联的会费是多少？",
                   "pt": "quanto custa a adesão à UIT para uma pequena empresa?"},
    "events": {"en": "are there any tech conferences coming up?",
               "fr": "quels sont les prochains événements tech ?",
               "es": "¿hay eventos de tecnología próximamente?",
               "ar": "هل هناك مؤتمرات تقنية قادمة؟",
               "ru": "какие ближайшие мероприятия для стартапов?",
               "zh": "最近有什么科技大会吗？",
               "pt": "tem algum evento de tecnologia em breve?"},
    "partnership": {"en": "who are the partner organisations of this initiative?",
                    "fr": "quelles sont les organisations partenaires de l'initiative ?",
                    "es": "¿cuáles son las organizaciones aliadas de esta iniciativa?",
                    "ar": "من هي المنظمات الشريكة في هذه المبادرة؟",
                    "ru": "какие организации являются партнёрами этой инициативы?",
                    "zh": "这个倡议的合作伙伴组织有哪些？",
                    "pt": "quais são as organizações parceiras desta iniciativa?"},
    "hubs": {"en": "is there an incubator in Rwanda?",
             "fr": "y a-t-il un incubateur au Cameroun ?",
             "es": "¿hay una incubadora en Perú?",
             "ar": "هل توجد حاضنة أعمال في مصر؟",
             "ru": "есть ли бизнес-инкубатор в Казахстане?",
             "zh": "尼日利亚有孵化器吗？",
             "pt": "existe alguma incubadora no Brasil?"},
    "training": {"en": "any free online courses to learn digital skills?",
                 "fr": "des formations en ligne pour apprendre le numérique ?",
                 "es": "¿hay cursos gratis para aprender habilidades digitales?",
                 "ar": "هل توجد دورات تدريبية مجانية في المهارات الرقمية؟",
                 "ru": "есть ли бесплатные курсы по цифровым навыкам?",
                 "zh": "有免费的数字技能培训课程吗？",
                 "pt": "há cursos gratuitos de competências digitais?"},
    "thank": {"en": "thanks a lot, very helpful", "fr": "merci beaucoup",
              "es": "muchas gracias", "ar": "شكرا جزيلا", "ru": "большое спасибо",
              "zh": "非常感谢", "pt": "muito obrigado"},
    # Weather chat is small talk now; these ask for something else the bot does not do.
    "out_of_scope": {"en": "can you recommend a good pasta recipe?",
                     "fr": "quel temps fera-t-il demain ?",
                     "es": "¿qué tiempo hará mañana?",
                     "ar": "ما هي أفضل وصفة للكسكس؟",
                     "ru": "какая завтра будет погода?",
                     "zh": "明天天气怎么样？",
                     "pt": "como vai estar o tempo amanhã?"},
    "goodbye": {"en": "bye, see you later", "fr": "au revoir", "es": "adiós, hasta luego",
                "ar": "مع السلامة", "ru": "до свидания", "zh": "再见", "pt": "tchau, até logo"},
    "request_human": {"en": "I want to speak with a real person please",
                      "fr": "je veux parler à un conseiller humain",
                      "es": "quiero hablar con una persona real",
                      "ar": "أريد التحدث مع شخص حقيقي",
                      "ru": "хочу поговорить с живым человеком",
                      "zh": "我想和真人客服聊",
                      "pt": "quero falar com uma pessoa de verdade"},
}
EXPECTED = {"greet": ("greet",), "help": ("help",), "bot_challenge": ("iamabot",),
            "thank": ("thank",), "out_of_scope": ("out_of_scope",),
            "request_human": ("escalation.created",), "goodbye": ("goodbye",)}
LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh", "pt")
_ids = itertools.count(20_001)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_intent_family_is_answered_in_the_founders_language(
    stack: Stack, lang: str
) -> None:
    chat_id = next(_ids)
    failures = []
    for family, phrases in PHRASES.items():
        [reply] = stack.ask(chat_id, phrases[lang], language_code=lang)
        if family in TOPIC_FAMILIES and reply["text"].startswith("💡"):
            [reply] = stack.replies(chat_id)  # a stored direct answer first, then the cards
        text = reply["text"]
        if family in TOPIC_FAMILIES:
            topic_name = stack.catalogs.gettext(lang, f"topic.{TOPIC_FAMILIES[family]}")
            ok = any(stack.is_message(text, lang, m) for m in RESULTS) and (
                topic_name in text.split("\n")[0])
        else:
            ok = any(stack.is_message(text, lang, m) for m in EXPECTED[family])
        if not ok:
            failures.append(f"{family}: {phrases[lang]!r} -> {text[:120]!r}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("lang", "target"), [("en", "fr"), ("fr", "ar"), ("es", "en"),
                                              ("ar", "ru"), ("ru", "zh"), ("zh", "pt"),
                                              ("pt", "es")])
def test_language_change_in_words_in_every_language(stack: Stack, lang: str, target: str) -> None:
    asks = {"en": "please reply in French from now on",
            "fr": "réponds-moi en arabe s'il te plaît",
            "es": "contéstame en inglés por favor",
            "ar": "من فضلك أجبني باللغة الروسية",
            "ru": "пожалуйста, отвечай на китайском",
            "zh": "请用葡萄牙语回答我",
            "pt": "pode responder em espanhol, por favor?"}
    chat_id = next(_ids)
    [reply] = stack.ask(chat_id, asks[lang], language_code=lang)
    assert stack.is_message(reply["text"], target, "language.changed"), reply["text"]
    [greeting] = stack.ask(chat_id, "/start", language_code=lang)
    assert stack.is_message(greeting["text"], target, "start"), greeting["text"]
