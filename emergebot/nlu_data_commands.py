"""``emergebot nlu inbox|annotate|format``: the training data side of the maintainer loop.

``inbox`` lists the messages the model was unsure about, ``annotate`` turns them into labelled
examples in ``nlu/data/<lang>/<concern>.yml``, ``format`` keeps the training files canonical.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from emergebot.nlu_options import fail, project_of
from hubdata.settings import Settings

if TYPE_CHECKING:  # the modules behind the commands are imported when a command runs
    from emergebot.review_decisions import ReviewDecisions
    from emergebot.review_queue import ReviewItem


def _inbox_items(args: argparse.Namespace, settings: Settings
                 ) -> tuple[list[ReviewItem], ReviewDecisions, str, str]:
    """The inbox (tracker store and staff topics), its state, its source and a note."""
    from emergebot import review_queue
    from emergebot.review_decisions import ReviewDecisions
    from emergebot.staff_topics import staff_items

    source = settings.tracker_store_url or settings.tracker_store_db
    criteria = review_queue.Criteria(args.threshold, args.margin,
                                     review_queue.since_days(args.since_days))
    turns = review_queue.read_turns(review_queue.tracker_url(source), criteria.since)
    try:
        staff, note = staff_items(settings.database_url, project_of(args).intents())
    except Exception as error:  # noqa: BLE001 - the staff desk's schema is not ours
        staff, note = [], f"tickets not read ({error.__class__.__name__}: {error})"
    state = ReviewDecisions(settings.var_dir / "nlu-inbox.json")
    items = [i for i in review_queue.ordered(review_queue.collect(turns, criteria, staff))
             if args.language in (None, i.language)]
    return items, state, review_queue.shown_url(source), note


def cmd_inbox(args: argparse.Namespace, settings: Settings) -> int:
    """List the messages the model was unsure about, grouped, most frequent first."""
    from emergebot import review_queue
    from emergebot.annotate import pending

    try:
        items, state, source, note = _inbox_items(args, settings)
    except review_queue.ReviewQueueError as error:
        return fail(str(error))
    shown = items if args.all else list(pending(items, state))
    shown = shown[: args.limit] if args.limit else shown
    if args.json:
        for item in shown:
            print(json.dumps(item.as_json(), ensure_ascii=False))
        return 0
    counts = state.counts()
    print(f"NLU inbox: {len(shown)} message(s) to label from {source} "
          f"({counts['labelled']} labelled and {counts['ignored']} ignored before); {note}")
    for language, intent, members in review_queue.grouped(shown):
        print(f"\n{language} · {intent} · {sum(m.count for m in members)} message(s)")
        for item in members:
            why = ", ".join(review_queue.REASONS[r] for r in sorted(item.reasons))
            top = " / ".join(f"{name} {conf:.2f}" for name, conf in item.suggestions)
            staff = f"; staff topic {item.staff_topic}" if item.staff_topic else ""
            print(f"  {item.count:>3}×  {item.text}\n        {why}: {top or '-'}{staff}")
    if shown:
        print("\nlabel them with: emergebot nlu annotate")
    return 0


def cmd_annotate(args: argparse.Namespace, settings: Settings) -> int:
    """Label inbox items one by one; each label goes into nlu/data/<lang>/<concern>.yml."""
    from emergebot import review_queue
    from emergebot.annotate import Annotator, pending
    from emergebot.nlu_data import check

    project = project_of(args)
    errors = check(project)
    if errors:
        return fail("\n".join(str(e) for e in errors) + "\nfix the training data first")
    try:
        items, state, _, _ = _inbox_items(args, settings)
    except review_queue.ReviewQueueError as error:
        return fail(str(error))
    todo = list(pending(items, state))[: args.limit or None]
    if not todo:
        print("the inbox is empty")
        return 0
    tally = Annotator(project, state, sys.stdin, sys.stdout).run(todo)
    print(f"\n{tally.labelled} labelled, {tally.ignored} ignored, {tally.skipped} skipped")
    for name, count in sorted(tally.written.items()):
        print(f"  {name}: {count} new example(s)")
    if tally.labelled:
        print("next: emergebot nlu train")
    return 0


def cmd_format(args: argparse.Namespace, settings: Settings) -> int:
    """Check the training data; rewrite (or with --check, list) files not in canonical form."""
    from emergebot import nlu_yaml
    from emergebot.nlu_data import check, write_atomically

    project = project_of(args)
    errors = check(project)
    if errors:
        return fail("\n".join(str(e) for e in errors) + f"\n{len(errors)} problem(s)")
    changed = []
    for path in project.training_files():
        content = path.read_text(encoding="utf-8")
        canonical = nlu_yaml.render(nlu_yaml.parse(content, str(path)))
        if canonical != content:
            changed.append(project.relative(path))
            if not args.check:
                write_atomically(path, canonical)
    if args.check and changed:
        return fail("not in canonical form (run `emergebot nlu format`):\n  "
                    + "\n  ".join(changed))
    print(f"{len(changed)} file(s) rewritten" if not args.check else "training data canonical")
    return 0
