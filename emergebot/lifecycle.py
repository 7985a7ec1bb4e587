"""``nlu promote``, ``nlu rollback``, ``nlu models``: which trained model serves founders.

Promotion compares the candidate with the live model on the same held-out split (the gate in
``emergebot.promotion``), then swaps every running Rasa server one at a time
(``emergebot.hotswap``) and only then records the change in the registry. Whatever fails
before that point - a refused gate, a missing or corrupt model file, a server that is down or
refuses the token - leaves the servers and the registry as they were.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emergebot import hotswap, promotion
from emergebot.nlu_data import Project
from emergebot.registry import LIVE, ModelFileError, Registry, check_model_file, locked

Say = Callable[[str], None]


class LifecycleError(Exception):
    """The command cannot go ahead; nothing was changed."""


@dataclass(frozen=True)
class Target:
    """Where models live and which servers run them."""

    model_dir: Path
    var_dir: Path
    project: Project
    servers: list[hotswap.Server]  # empty: record in the registry only


def _report(target: Target, registry: Registry, name: str) -> dict[str, Any]:
    from emergebot.evaluation import cached_report, evaluate
    from emergebot.training import report_dir

    model = registry.path_of(name)
    out_dir = report_dir(target.var_dir, model)
    heldout = target.project.heldout_dir
    return cached_report(model, out_dir, heldout) or evaluate(model, out_dir, heldout_dir=heldout)


def _checked(registry: Registry, name: str) -> Path:
    path = registry.path_of(name)
    try:
        check_model_file(path, registry.models[name].get("sha256"))
    except ModelFileError as error:
        raise LifecycleError(str(error)) from error
    return path


def _swap(target: Target, model: Path, restore: Path | None, say: Say) -> list[dict[str, Any]]:
    if not target.servers:
        say("no Rasa server to swap (--no-servers): the next `emergebot run` starts with it")
        return []
    try:
        reports = hotswap.rolling_swap(target.servers, model, restore, say)
    except hotswap.SwapError as error:
        raise LifecycleError(str(error)) from error
    return [r.as_json() for r in reports]


def promote(target: Target, model: str | None, force: bool, reason: str | None,
            say: Say = print) -> dict[str, Any]:
    """Promote a candidate (default: the newest) after the gate; return the history entry.

    Raises:
        LifecycleError: refused or failed; the live model and the registry are unchanged.
    """
    with locked(target.model_dir) as registry:
        live = registry.live_name
        if live is None:
            raise LifecycleError(f"no live model in {registry.path}: train one first")
        try:
            name = registry.resolve(model) if model else registry.newest_candidate()
        except KeyError as error:
            raise LifecycleError(str(error.args[0])) from error
        if name is None:
            raise LifecycleError("no candidate model: label, then `emergebot nlu train`")
        if name == live:
            raise LifecycleError(f"{name} is already live")
        candidate_path, live_path = _checked(registry, name), _checked(registry, live)
        gate = promotion.Gate.load(target.project.root / "nlu" / "promotion_gate.json")
        say(f"comparing {name} (candidate) with {live} (live) on the held-out split")
        live_report, candidate_report = _report(target, registry, live), _report(
            target, registry, name)
        try:
            changes = promotion.compare(live_report, candidate_report, gate)
        except promotion.NotComparable as error:
            raise LifecycleError(str(error)) from error
        for change in changes:
            if change.scope.startswith("language"):
                say(f"  {change}")
        losses = promotion.regressions(changes, gate)
        for change in losses:
            say(f"  LOSS {change}")
        if losses and not force:
            raise LifecycleError(
                f"refused: {len(losses)} figure(s) lose more than {gate.margin} (intents judged "
                f"from {gate.min_examples} held-out examples); {live} stays live. Improve the "
                "data, or override with --force --reason '...' (recorded)")
        if losses:
            say(f"forced past {len(losses)} loss(es)" + (f": {reason}" if reason else ""))
        swaps = _swap(target, candidate_path, live_path, say)
        registry.make_live(name, "promote", forced=bool(losses), reason=reason,
                           regressions=[c.as_json() for c in losses], servers=swaps,
                           user=getpass.getuser())
        registry.save()
        say(f"{name} is live (was {live})")
        return registry.history[-1]


def rollback(target: Target, to: str | None, say: Say = print) -> dict[str, Any]:
    """Put back the model live before the current one (or ``to``); return the history entry.

    Raises:
        LifecycleError: nothing to roll back to, a bad model file, or a server problem;
            the live model and the registry are unchanged.
    """
    with locked(target.model_dir) as registry:
        live = registry.live_name
        try:
            name = registry.resolve(to) if to else registry.previous_live()
        except KeyError as error:
            raise LifecycleError(str(error.args[0])) from error
        if name is None or live is None:
            raise LifecycleError("nothing to roll back to: no model was live before this one")
        if name == live:
            raise LifecycleError(f"{name} is already live")
        path = _checked(registry, name)
        restore = registry.path_of(live)
        swaps = _swap(target, path, restore if restore.is_file() else None, say)
        registry.make_live(name, "rollback", forced=False, servers=swaps,
                           user=getpass.getuser())
        registry.save()
        say(f"{name} is live again (was {live})")
        return registry.history[-1]


def listing(registry: Registry) -> list[str]:
    """``nlu models``: the registry as a table, newest first, then the recent history."""
    languages: list[str] = []
    for entry in registry.models.values():
        for language in entry.get("metrics", {}).get("languages", {}):
            if language not in languages:
                languages.append(language)
    lines = ["  status     model                   created                    acc    F1     "
             "OOS-R  " + " ".join(f"{lang:>5}" for lang in languages)]
    for name, entry in sorted(registry.models.items(), key=lambda kv: kv[1]["created"],
                              reverse=True):
        metrics = entry.get("metrics", {})
        overall = metrics.get("overall", {})
        marker = "*" if entry["status"] == LIVE else " "
        missing = "" if registry.path_of(name).is_file() else "  (file missing)"
        per_language = " ".join(
            f"{metrics['languages'].get(lang, {}).get('intent_accuracy', 0):5.3f}"
            for lang in languages)
        lines.append(f"{marker} {entry['status']:<10} {name:<23} {entry['created']:<26} "
                     f"{_num(overall.get('intent_accuracy'))} "
                     f"{_num(overall.get('intent_macro_f1'))} "
                     f"{_num(overall.get('out_of_scope_recall'))} {per_language}{missing}")
    lines.append(f"live: {registry.live_name or 'none'}   (acc: held-out intent accuracy, "
                 "F1: macro-F1, OOS-R: out-of-scope recall; per language: accuracy)")
    if registry.history:
        lines.append("history:")
        for event in registry.history[-10:]:
            forced = " FORCED" if event.get("forced") else ""
            pauses = ", ".join(f"{s['url']} paused {s['pause_s']:.2f} s"
                               for s in event.get("servers") or [])
            lines.append(f"  {event['at']} {event['action']}{forced} {event['model']}"
                         + (f" (was {event['previous']})" if event.get("previous") else "")
                         + (f" by {event['user']}" if event.get("user") else "")
                         + (f": {event['reason']}" if event.get("reason") else "")
                         + (f"; {pauses}" if pauses else ""))
    return lines


def _num(value: float | None) -> str:
    return "  –  " if value is None else f"{value:.3f}"
