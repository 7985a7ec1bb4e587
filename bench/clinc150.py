"""CLINC150 (Larson et al. 2019) as a public yardstick for our NLU pipeline.

``make bench BENCH_ARGS=--clinc150`` or ``python -m bench.clinc150``: train the shipped pipeline
(``nlu/config.yml``, the same components) on ``train`` + ``oos_train``, score it on ``test`` +
``oos_test`` (150 intents plus out-of-scope, English), and write the table with the published
figures beside ours to ``bench/results/clinc150.md`` (and ``.json``). Rasa's default pipeline
gets a row too; its figures are cached in ``bench/results/clinc150-default.json`` under the hash
of its config and the data, because it trains for a long time.

Out of scope here means what the bot would do: the classifier's out-of-scope decision (its
threshold chosen on held-back training examples, never on the test set), and, separately, the
same after the dialogue's fallback (an unsure message is asked about, not answered).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from emergebot.evaluation import macro_f1
from hubdata.settings import PROJECT_ROOT

BENCH_DIR = Path(__file__).resolve().parent
_BESIDE = PROJECT_ROOT.parent / "shared" / "benchmarks" / "clinc150" / "data_full.json"
_WORKPLACE = Path("/work/shared/benchmarks/clinc150/data_full.json")  # a clone elsewhere
DATA = Path(os.environ.get("CLINC150_DATA") or (_BESIDE if _BESIDE.exists() else _WORKPLACE))
RESULTS = BENCH_DIR / "results"
DEFAULT_CONFIG = BENCH_DIR / "default_config.yml"
OURS_CONFIG = PROJECT_ROOT / "nlu" / "config.yml"
OOS, OUT_OF_SCOPE, FALLBACK = "oos", "out_of_scope", "nlu_fallback"
# Larson et al. 2019, "An Evaluation Dataset for Intent Classification and Out-of-Scope
# Prediction" (EMNLP), table 2, full data, oos-train: in-scope accuracy, out-of-scope recall.
PUBLISHED = (("BERT", 96.9, 40.3), ("Rasa (2019)", 91.5, 45.3),
             ("MLP on the Universal Sentence Encoder", 93.5, 47.4))
LATENCY_SAMPLE = 200


@dataclass
class Scores:
    """One model's figures on the test split."""

    in_scope_accuracy: float
    oos_recall: float
    oos_precision: float
    macro_f1: float
    in_scope: int
    out_of_scope: int


@dataclass
class Row:
    """One pipeline's row of the report."""

    name: str
    config: str
    train_examples: int
    training_s: float
    classifier: Scores  # the classifier's decision (out of scope: ranked out_of_scope first)
    after_fallback: Scores  # what the dialogue acts on (unsure: nlu_fallback, counted as oos)
    parse_ms_p50: float
    parse_ms_p95: float
    cached: bool = False
    note: str = ""
    calibration: dict[str, Any] = field(default_factory=dict)


def load(path: Path = DATA) -> dict[str, list[tuple[str, str]]]:
    """The splits, as (text, label) pairs; the out-of-scope label is ``oos``."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {name: [(text, label) for text, label in pairs] for name, pairs in raw.items()}


def intent_name(label: str) -> str:
    """The Rasa intent for a CLINC150 label (``oos`` is our ``out_of_scope``)."""
    return OUT_OF_SCOPE if label == OOS else label


def write_nlu(pairs: list[tuple[str, str]], path: Path) -> int:
    """Write the pairs as Rasa NLU YAML, one block per intent; return how many examples."""
    by_intent: dict[str, list[str]] = {}
    for text, label in pairs:
        by_intent.setdefault(intent_name(label), []).append(text)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines += [f"- intent: {intent}", "  examples: |"]
        # Rasa reads "[text](entity)" as an annotation: CLINC150 has none, so escape brackets.
        lines += [f"    - {t.replace('[', '(').replace(']', ')')}" for t in by_intent[intent]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(pairs)


def scores(expected: list[str], predicted: list[str]) -> Scores:
    """In-scope accuracy, out-of-scope recall and precision, macro F1 over the expected
    classes (the evaluation's own definition)."""
    pairs = list(zip(expected, predicted, strict=True))
    in_scope = [(e, p) for e, p in pairs if e != OOS]
    out = [(e, p) for e, p in pairs if e == OOS]
    flagged = [(e, p) for e, p in pairs if p == OOS]
    return Scores(
        in_scope_accuracy=round(100 * sum(e == p for e, p in in_scope) / max(1, len(in_scope)), 2),
        oos_recall=round(100 * sum(p == OOS for _, p in out) / max(1, len(out)), 2),
        oos_precision=round(100 * sum(e == OOS for e, _ in flagged) / max(1, len(flagged)), 2),
        macro_f1=round(100 * macro_f1(pairs), 2),
        in_scope=len(in_scope), out_of_scope=len(out))


def _label(name: str | None) -> str:
    return OOS if name in (None, OUT_OF_SCOPE, FALLBACK) else str(name)


def train(config: Path, nlu_file: Path, out_dir: Path, log: Path) -> tuple[Path, float]:
    """``rasa train nlu`` with an empty cache; return the model and the wall time."""
    from emergebot.training import rasa_environment, rasa_executable

    env = {**rasa_environment(), "RASA_CACHE_DIRECTORY": str(out_dir / "cache")}
    command = [rasa_executable(), "train", "nlu", "--config", str(config), "--nlu",
               str(nlu_file), "--out", str(out_dir), "--fixed-model-name", "clinc150"]
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as stream:
        code = subprocess.call(command, cwd=PROJECT_ROOT, env=env, stdout=stream,
                               stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if code != 0:
        tail = log.read_text(encoding="utf-8").splitlines()[-20:]
        raise RuntimeError(f"rasa train nlu failed (exit {code}); log {log}:\n" + "\n".join(tail))
    return out_dir / "clinc150.tar.gz", seconds


def evaluate(model: Path, test: list[tuple[str, str]]) -> dict[str, Any]:
    """Parse the test split (in batches) and a sample one message at a time (latency)."""
    from rasa.core.agent import Agent

    from emergebot.evaluation import parse_batch
    from emergebot.parsing import quiet_rasa

    quiet_rasa()
    agent = Agent.load(str(model))
    texts = [text for text, _ in test]
    parses = parse_batch(agent, texts)
    classifier, final = [], []
    for parse in parses:
        ranking = [r for r in parse.get("intent_ranking") or [] if r["name"] != FALLBACK]
        classifier.append(_label(ranking[0]["name"] if ranking else None))
        final.append(_label((parse.get("intent") or {}).get("name")))
    timings = []
    for text in texts[:: max(1, len(texts) // LATENCY_SAMPLE)][:LATENCY_SAMPLE]:
        started = time.perf_counter()
        asyncio.run(agent.parse_message(text))
        timings.append(1000 * (time.perf_counter() - started))
    timings.sort()
    return {"classifier": classifier, "final": final,
            "p50": round(statistics.median(timings), 1),
            "p95": round(timings[int(0.95 * (len(timings) - 1))], 1)}


def calibration_of(model: Path) -> dict[str, Any]:
    """The out-of-scope threshold the classifier chose in training, if it is ours."""
    import tarfile

    with tarfile.open(model) as archive:
        for member in archive.getmembers():
            if member.name.endswith("metadata.json") and "Calibrated" in member.name:
                stream = archive.extractfile(member)
                if stream is not None:
                    return json.loads(stream.read()).get("calibration") or {}
    return {}


def run_pipeline(name: str, config: Path, splits: dict[str, list[tuple[str, str]]],
                 work: Path) -> Row:
    """Train one config on train + oos_train and score it on test + oos_test."""
    work.mkdir(parents=True, exist_ok=True)
    nlu_file = work / "train.yml"
    count = write_nlu(splits["train"] + splits["oos_train"], nlu_file)
    model, seconds = train(config, nlu_file, work, work / "train.log")
    test = splits["test"] + splits["oos_test"]
    result = evaluate(model, test)
    expected = [label for _, label in test]
    return Row(name=name, config=str(config.relative_to(PROJECT_ROOT)), train_examples=count,
               training_s=round(seconds, 1), classifier=scores(expected, result["classifier"]),
               after_fallback=scores(expected, result["final"]), parse_ms_p50=result["p50"],
               parse_ms_p95=result["p95"], calibration=calibration_of(model))


def cache_key(config: Path, data: Path = DATA) -> str:
    """The hash of a config and the data: a cached row holds only while both are unchanged."""
    digest = hashlib.sha256(config.read_bytes())
    digest.update(data.read_bytes())
    return digest.hexdigest()[:12]


def default_row(splits: dict[str, list[tuple[str, str]]], work: Path, retrain: bool,
                cache: Path = RESULTS / "clinc150-default.json") -> Row | None:
    """Rasa's default pipeline: from the cache if its hash matches, else trained (slow)."""
    key = cache_key(DEFAULT_CONFIG)
    if cache.exists() and not retrain:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            row = cached["row"]
            row["classifier"] = Scores(**row["classifier"])
            row["after_fallback"] = Scores(**row["after_fallback"])
            return Row(**{**row, "cached": True})
        print(f"the cached default-pipeline row is for {cached.get('key')}, not {key}",
              file=sys.stderr)
    if not retrain:
        return None
    row = run_pipeline("Rasa default pipeline (DIET)", DEFAULT_CONFIG, splits, work / "default")
    cache.write_text(json.dumps({"key": key, "row": asdict(row)}, indent=2) + "\n",
                     encoding="utf-8")
    return row


def markdown(rows: list[Row], machine: str) -> str:
    """The report."""
    out = ["# CLINC150: our NLU pipeline on a public benchmark", "",
           f"Data: CLINC150 full (Larson et al. 2019, CC BY 3.0): trained on train + oos_train, "
           f"scored on test + oos_test. Machine: {machine}.", "",
           "| pipeline | in-scope accuracy | out-of-scope recall | out-of-scope precision "
           "| macro F1 | training | parse p50 / p95 |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        cached = " (cached)" if row.cached else ""
        for label, figures in (("", row.classifier), (", after fallback", row.after_fallback)):
            out.append(f"| {row.name}{label}{cached} | {figures.in_scope_accuracy:.1f} % "
                       f"| {figures.oos_recall:.1f} % | {figures.oos_precision:.1f} % "
                       f"| {figures.macro_f1:.1f} % | {row.training_s:.0f} s "
                       f"| {row.parse_ms_p50:.1f} / {row.parse_ms_p95:.1f} ms |")
    for name, accuracy, recall in PUBLISHED:
        out.append(f"| {name} (published) | {accuracy:.1f} % | {recall:.1f} % | | | | |")
    out += ["", "\"After fallback\" counts an unsure message (nlu_fallback: the bot asks which "
            "topic was meant) as out of scope, as the dialogue would not answer it with an "
            "intent. Published figures: Larson et al. 2019, table 2, full data, oos-train.", ""]
    for row in rows:
        if row.calibration:
            c = row.calibration
            out.append(f"- {row.name}: out-of-scope threshold {c['threshold']:.2f}, chosen in "
                       f"training on {c['validation_examples']} held-back training examples "
                       f"(in-scope accuracy {100 * c['in_scope_accuracy']:.1f} % without it, "
                       f"{100 * c['in_scope_accuracy_at_threshold']:.1f} % with it; "
                       f"out-of-scope recall there {_pct(c['out_of_scope_recall'])}). The test "
                       "split was not used.")
    return "\n".join(out) + "\n"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def machine() -> str:
    """A short description of this machine."""
    return f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"


def run(splits: dict[str, list[tuple[str, str]]], results: Path = RESULTS,
        baseline: bool = True, retrain_baseline: bool = False, stem: str = "clinc150") -> Path:
    """Train, score, and write ``<stem>.md`` and ``<stem>.json``; return the Markdown path."""
    results.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="clinc150-") as tmp:
        rows = [run_pipeline("ours (nlu/config.yml)", OURS_CONFIG, splits, Path(tmp) / "ours")]
        if baseline:
            default = default_row(splits, Path(tmp), retrain_baseline)
            if default is not None:
                rows.append(default)
    text = markdown(rows, machine())
    (results / f"{stem}.md").write_text(text, encoding="utf-8")
    (results / f"{stem}.json").write_text(
        json.dumps({"machine": machine(), "rows": [asdict(r) for r in rows],
                    "published": PUBLISHED}, indent=2) + "\n", encoding="utf-8")
    return results / f"{stem}.md"


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.clinc150", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA, help="data_full.json")
    parser.add_argument("--skip-baseline", action="store_true",
                        help="no row for Rasa's default pipeline")
    parser.add_argument("--retrain-baseline", action="store_true",
                        help="train Rasa's default pipeline even if a cached row matches (slow)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    path = run(load(args.data), args.results_dir, baseline=not args.skip_baseline,
               retrain_baseline=args.retrain_baseline)
    print(path.read_text(encoding="utf-8"))
    print(f"report: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
