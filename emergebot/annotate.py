"""``nlu annotate``: label inbox items one by one in the terminal (or from piped input).

For each item the maintainer picks an intent (a suggested one by number, any intent of the
domain by name, or ``o`` for out of scope), checks the entities the lexicon found, and the
example is written into ``nlu/data/<lang>/<concern>.yml``, sorted, after Rasa's reader has
accepted the new file. ``s`` skips, ``i`` ignores (the item leaves the inbox), ``q`` quits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from emergebot import nlu_yaml
from emergebot.near_duplicates import find_near_duplicates, normalise, strip_entity_markup
from emergebot.nlu_data import Project, validate_with_rasa, write_atomically
from emergebot.review_decisions import IGNORED, LABELLED, ReviewDecisions
from emergebot.review_queue import REASONS, ReviewItem
from hubdata import geo
from hubdata.lexicon import entries, matching, normalisation

OUT_OF_SCOPE = "out_of_scope"
Entity = tuple[int, int, str, str]  # start, end, entity, value
INTENT_HELP = ("number or intent name = label · o = out of scope · s = skip · i = ignore · "
               "q = quit · ? = list intents")
ENTITY_HELP = ('Enter = write · "<span> = <entity>[:<value>]" adds one · "-<span>" removes one '
               '· "none" removes all')


class Quit(Exception):
    """The maintainer quit (or the input ended)."""


@dataclass
class Tally:
    """What a session did."""

    labelled: int = 0
    ignored: int = 0
    skipped: int = 0
    written: dict[str, int] = field(default_factory=dict)


@dataclass
class Annotator:
    """One labelling session over a list of inbox items."""

    project: Project
    state: ReviewDecisions
    stdin: TextIO
    stdout: TextIO
    tally: Tally = field(default_factory=Tally)

    def __post_init__(self) -> None:
        self.intents = sorted(self.project.intents())
        self.entities = sorted(self.project.entities())

    def say(self, text: str = "") -> None:
        """Print a line for the maintainer."""
        print(text, file=self.stdout, flush=True)

    def ask(self, prompt: str) -> str:
        """Read one answer; end of input quits."""
        self.stdout.write(prompt)
        self.stdout.flush()
        line = self.stdin.readline()
        if not line:
            raise Quit
        if not self.stdin.isatty():
            self.stdout.write(line if line.endswith("\n") else line + "\n")
        return line.strip()

    def run(self, items: list[ReviewItem]) -> Tally:
        """Label items until they run out or the maintainer quits."""
        try:
            for number, item in enumerate(items, start=1):
                self.label(item, number, len(items))
        except Quit:
            self.say("stopped; what was labelled is saved")
        return self.tally

    def label(self, item: ReviewItem, number: int, total: int) -> None:
        """Show one item and act on the answers."""
        why = ", ".join(REASONS[r] for r in sorted(item.reasons))
        topic = f" · staff topic: {item.staff_topic}" if item.staff_topic else ""
        self.say(f"\n[{number}/{total}] {item.language} · seen {item.count}× · {why}{topic}")
        self.say(f'  "{item.text}"')
        self.say("  " + "   ".join(f"{i}) {name} {conf:.2f}"
                                   for i, (name, conf) in enumerate(item.suggestions, start=1)))
        self.say(f"  {INTENT_HELP}")
        intent = self.choose_intent(item)
        if intent is None:
            return
        entities = self.choose_entities(item.text)
        self.write(item, intent, entities)

    def choose_intent(self, item: ReviewItem) -> str | None:
        """The intent the maintainer picks; None when the item was skipped or ignored."""
        while True:
            answer = self.ask("label> ")
            lowered = answer.lower()
            if lowered == "q":
                raise Quit
            if lowered == "s":
                self.tally.skipped += 1
                return None
            if lowered == "i":
                self.state.record(item.key, IGNORED, text=item.text)
                self.tally.ignored += 1
                self.say("  ignored: it leaves the inbox")
                return None
            if lowered == "o":
                return OUT_OF_SCOPE
            if lowered == "?":
                self.say("  intents: " + ", ".join(self.intents))
                continue
            if answer.isdigit() and 1 <= int(answer) <= len(item.suggestions):
                return item.suggestions[int(answer) - 1][0]
            if answer in self.intents:
                return answer
            self.say(f"  unknown intent {answer!r}: type a number of the list, o, s, i, q, or "
                     f"an intent of {self.project.relative(self.project.domain_file)} "
                     "(? lists them)")

    def choose_entities(self, text: str) -> list[Entity]:
        """Entities found by the lexicon, edited until the maintainer accepts them."""
        entities = [(m.start, m.end, m.entity, m.value) for m in matching.find_entities(text)]
        while True:
            shown = " · ".join(f"[{text[s:e]}] {name}={value}" for s, e, name, value in entities)
            self.say(f"  entities: {shown or 'none'}")
            self.say(f"  {ENTITY_HELP}")
            answer = self.ask("entity> ")
            if not answer:
                return entities
            if answer.lower() == "none":
                entities = []
            elif answer.startswith("-"):
                span = answer[1:].strip()
                kept = [e for e in entities if text[e[0]:e[1]] != span]
                if len(kept) == len(entities):
                    self.say(f"  no entity on {span!r}")
                entities = kept
            else:
                try:
                    added = self.parse_entity(text, answer)
                except ValueError as error:
                    self.say(f"  {error}")
                    continue
                entities = [e for e in entities if e[1] <= added[0] or e[0] >= added[1]]
                entities = sorted([*entities, added])

    def parse_entity(self, text: str, answer: str) -> Entity:
        """``<span> = <entity>[:<value>]`` as an entity over ``text``, the value normalised.

        Raises:
            ValueError: the span, entity or value is not right (the message says which).
        """
        if "=" not in answer:
            raise ValueError(f'{answer!r}: write "<span> = <entity>[:<value>]"')
        span, _, spec = (part.strip() for part in answer.rpartition("="))
        name, _, value = (part.strip() for part in spec.partition(":"))
        start = text.find(span) if span else -1
        if start < 0:
            start = text.casefold().find(span.casefold()) if span else -1
        if start < 0:
            raise ValueError(f"{span!r} is not in the message")
        if name not in self.entities:
            raise ValueError(f"unknown entity {name!r}: one of {', '.join(self.entities)}")
        normalised = normalise_value(name, value or text[start:start + len(span)])
        if normalised is None:
            what = f"value {value!r}" if value else f"{span!r}"
            raise ValueError(f"{what} is not a known {name}: give the value, e.g. "
                             f'"{span} = {name}:{example_value(name)}"')
        return (start, start + len(span), name, normalised)

    def write(self, item: ReviewItem, intent: str, entities: list[Entity]) -> None:
        """Add the example to its training file, unless it would leak the held-out split."""
        example = nlu_yaml.annotated(item.text, entities)
        heldout = self.project.heldout_texts(item.language)
        clash = find_near_duplicates([example], heldout)
        if clash:
            twin = strip_entity_markup(heldout[clash[0].reference_index])
            self.say(f"  not written: it is (nearly) the same as the held-out example {twin!r} "
                     "(the held-out split is never trained on); the item is ignored")
            self.state.record(item.key, IGNORED, text=item.text, why="held-out duplicate")
            self.tally.ignored += 1
            return
        path = self.project.file_for(item.language, intent)
        name = self.project.relative(path)
        existing = self.existing_intent(item.language, example)
        if existing == intent:
            self.state.record(item.key, LABELLED, text=item.text, intent=intent, file=name)
            self.tally.labelled += 1
            self.say(f"  already an example of {intent}: nothing to write")
            return
        if existing is not None:
            self.say(f"  not written: the same text is already an example of {existing!r}; "
                     "edit the training data by hand to move it")
            self.tally.skipped += 1
            return
        content = path.read_text(encoding="utf-8") if path.exists() else ""
        updated = nlu_yaml.add_example(content, intent, example, name)
        try:
            validate_with_rasa(updated, name)
        except ValueError as error:
            self.say(f"  not written: {error}")
            self.tally.skipped += 1
            return
        write_atomically(path, updated)
        self.state.record(item.key, LABELLED, text=item.text, intent=intent, file=name)
        self.tally.labelled += 1
        self.tally.written[name] = self.tally.written.get(name, 0) + 1
        self.say(f"  written to {name} ({intent}): {example}")

    def existing_intent(self, language: str, example: str) -> str | None:
        """The intent of a training example in ``language`` with the same normalised text."""
        wanted = normalise(example)
        for path in (self.project.data_dir / language).glob("*.yml"):
            for block in nlu_yaml.parse(path.read_text(encoding="utf-8"), str(path)).blocks:
                if block.intent and any(normalise(e) == wanted for e in block.examples):
                    return block.intent
        return None


def normalise_value(entity: str, value: str) -> str | None:
    """The normalised value of an entity: a code as the bot uses it, or None if unknown."""
    value = value.strip()
    if entity == "country" and len(value) == 2 and geo.is_country(value):
        return value.upper()
    if value.casefold() in entries.ENTITY_VALUES.get(entity, ()):
        return value.casefold()
    return normalisation.normalise(entity, value)


def example_value(entity: str) -> str:
    """An example of a valid value, for messages."""
    return "KE" if entity == "country" else entries.ENTITY_VALUES.get(entity, ("x",))[0]


def pending(items: list[ReviewItem], state: ReviewDecisions) -> Iterator[ReviewItem]:
    """The items not yet labelled or ignored."""
    return (item for item in items if not state.done(item.key))
