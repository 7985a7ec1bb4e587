"""Direct answers: the stored ``faq`` entry nearest to the founder's question (hubdata.answers)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import sessionmaker

from hubdata import answers, seed
from hubdata.catalog import INTENT_TOPICS
from hubdata.db import transaction
from hubdata.models import Resource, ResourceText
from hubdata.settings import PROJECT_ROOT

TODAY = date(2026, 12, 6)


def faq(rid: str, topic: str, questions: dict[str, list[str]], status: str = "current") -> Resource:
    row = Resource(id=rid, kind="faq", topic=topic, organisation="ITU", areas=["001"],
                   sectors=["any"], stages=["any"], languages=["en"], url="https://itu.int",
                   source_url="https://itu.int/s", status=status, verified_on=TODAY)
    for lang, qs in questions.items():
        row.texts.append(ResourceText(lang=lang, title=qs[0], description=f"answer {rid}",
                                      questions=qs[1:]))
    return row


async def add_answers(sessions: sessionmaker) -> None:
    async with transaction(sessions) as session:
        session.add_all([
            faq("fee", "membership", {
                "en": ["How much does ITU membership cost for an SME?",
                       "what is the fee for a startup to join ITU", "SME membership price"],
                "fr": ["Combien coûte l'adhésion à l'UIT pour une PME ?",
                       "quel est le tarif pour une start-up"]}),
            faq("join", "membership", {
                "en": ["How do I join ITU?", "how can my company become an ITU member",
                       "steps to apply for ITU membership"]}),
            faq("gone", "membership", {"en": ["Is there a discount for students?"]},
                status="retired"),
            faq("emerge", "partnership", {"en": ["What is EMERGE?", "who are the partners"]}),
        ])


async def best(sessions: sessionmaker, text: str, topic: str = "membership") -> str | None:
    async with transaction(sessions) as session:
        found = await answers.best(session, text, "en", topic, TODAY)
        return found.id if found else None


async def test_the_nearest_answer_of_the_topic_is_chosen(sessions: sessionmaker) -> None:
    await add_answers(sessions)
    assert await best(sessions, "how much does it cost for a start-up to join ITU?") == "fee"
    assert await best(sessions, "combien coûte l'adhésion pour une start-up ?") == "fee"
    assert await best(sessions, "how can my startup become a member of ITU") == "join"
    assert await best(sessions, "What is the EMERGE partnership?", "partnership") == "emerge"
    # another topic's answer is never given, nor a retired one, nor one below the threshold
    assert await best(sessions, "who are the partners") is None  # asked under membership
    assert await best(sessions, "is there a discount for students?") != "gone"
    assert await best(sessions, "benefits of joining") is None
    assert await best(sessions, "/ask_membership") is None


def test_calibration_separates_paraphrases_from_other_topics() -> None:
    stored = [("fee", ["how much does membership cost", "membership fee for startups",
                       "what is the price of membership"]),
              ("join", ["how do I join", "how to become a member", "steps to join ITU"])]
    result = answers.calibrate(stored, ["grants for agritech in Kenya", "hello there",
                                        "find me a mentor in Lagos"])
    assert 0.1 <= result.threshold <= 0.9
    assert result.positives == 6 and result.negatives == 3
    assert result.false_rate == 0.0


def test_the_threshold_in_use_is_the_one_chosen_on_training_data() -> None:
    entries, errors = seed.load_files(seed.RESOURCE_DIR.glob("*.yml"))
    assert not errors
    stored = answers.seed_answers(entries)
    assert len(stored) >= 8
    topics = {e.get("topic") for e in entries if e.get("kind") == "faq"}
    intents = {i for i, t in INTENT_TOPICS.items() if t in topics}
    result = answers.calibrate(stored, answers.training_negatives(
        PROJECT_ROOT / "nlu" / "data", intents))
    assert abs(result.threshold - answers.MIN_SIMILARITY) <= 0.02, result
    assert result.top1 >= 0.8 and result.recall >= 0.6 and result.false_rate <= 0.05, result


async def test_an_answer_edited_after_being_cached_is_served_fresh(
    sessions: sessionmaker, database_url: str
) -> None:
    """The answers and their questions are cached per state of the catalogue: an edit
    committed by another process (the console) shows in the next answer."""
    from hubdata.db import make_engine, make_session_factory

    await add_answers(sessions)
    question = "how can my startup become a member of ITU"
    assert await best(sessions, question) == "join"
    assert await best(sessions, question) == "join"  # from the cache
    other_engine = make_engine(database_url)
    other = make_session_factory(other_engine)
    try:
        async with transaction(other) as session:  # its questions change (as the desk saves)
            join = await session.get(Resource, "join")
            join.texts[0].title = "Where is the ITU headquarters?"
            join.texts[0].questions = ["in which city is ITU based"]
            join.updated_at = join.updated_at.replace(year=2030)
        assert await best(sessions, question) != "join"  # its old questions are gone
        assert await best(sessions, "where is ITU based?") == "join"
        async with transaction(other) as session:  # retired: never given again
            (await session.get(Resource, "join")).status = "retired"
        assert await best(sessions, "where is ITU based?") != "join"
        async with transaction(other) as session:  # a new answer of the topic
            session.add(faq("join2", "membership", {"en": ["How do I join ITU?",
                                                           "how can my company join ITU"]}))
        assert await best(sessions, question) == "join2"
    finally:
        await other_engine.dispose()


async def test_best_id_and_best_agree(sessions: sessionmaker) -> None:
    await add_answers(sessions)
    for text in ("how much does it cost for a start-up to join ITU?", "benefits of joining",
                 "/ask_membership", ""):
        async with transaction(sessions) as session:
            found = await answers.best(session, text, "en", "membership", TODAY)
            assert await answers.best_id(session, text, "en", "membership", TODAY) == (
                found.id if found else None)
