"""PNG plots of an evaluation: a confusion matrix per language, macro-F1 and accuracy per
language, and a histogram of the top intent's confidence (right and wrong answers apart)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emergebot.predictions import Prediction

FALLBACK_THRESHOLD = 0.40  # nlu/config.yml, FallbackClassifier
INBOX_THRESHOLD = 0.60  # emergebot.review_queue.Criteria


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    _pyplot().close(fig)


def confusion_matrix(report: dict[str, Any], predictions: list[Prediction], language: str,
                     path: Path) -> None:
    """Rows: the expected intent; columns: the predicted one; cells: counts."""
    plt = _pyplot()
    items = [p for p in predictions if p.language == language]
    labels = sorted({p.expected for p in items} | {p.predicted for p in items})
    index = {label: i for i, label in enumerate(labels)}
    counts = [[0] * len(labels) for _ in labels]
    for p in items:
        counts[index[p.expected]][index[p.predicted]] += 1
    size = max(6.0, 0.45 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(counts, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("expected intent")
    accuracy = report["languages"][language]["intent_accuracy"]
    ax.set_title(f"{language}: {len(items)} held-out examples, accuracy {accuracy:.3f}")
    peak = max(max(row) for row in counts) or 1
    for i, row in enumerate(counts):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, str(value), ha="center", va="center", fontsize=7,
                        color="white" if value > peak / 2 else "black")
    _save(fig, path)


def f1_bars(report: dict[str, Any], path: Path) -> None:
    """Intent macro-F1 and accuracy per language."""
    plt = _pyplot()
    languages = list(report["languages"])
    f1 = [report["languages"][lang]["intent_macro_f1"] for lang in languages]
    accuracy = [report["languages"][lang]["intent_accuracy"] for lang in languages]
    fig, ax = plt.subplots(figsize=(7, 4))
    positions = range(len(languages))
    ax.bar([x - 0.2 for x in positions], f1, width=0.4, label="macro-F1")
    ax.bar([x + 0.2 for x in positions], accuracy, width=0.4, label="accuracy")
    ax.set_xticks(list(positions), languages)
    ax.set_ylim(min([*f1, *accuracy, 0.8]) - 0.05, 1.0)
    ax.set_ylabel("held-out score")
    ax.set_title(f"{report['model']}: intent scores per language")
    ax.legend(loc="lower right")
    _save(fig, path)


def confidence_histogram(report: dict[str, Any], predictions: list[Prediction],
                         path: Path) -> None:
    """Confidence of the top intent, right answers and wrong ones stacked."""
    plt = _pyplot()
    right = [p.confidence for p in predictions if p.predicted == p.expected]
    wrong = [p.confidence for p in predictions if p.predicted != p.expected]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([right, wrong], bins=[i / 20 for i in range(21)], stacked=True,
            label=[f"right ({len(right)})", f"wrong ({len(wrong)})"],
            color=["tab:green", "tab:red"])
    ax.axvline(FALLBACK_THRESHOLD, color="black", linestyle="--", label="fallback threshold")
    ax.axvline(INBOX_THRESHOLD, color="grey", linestyle=":", label="inbox threshold")
    ax.set_xlabel("confidence of the top intent")
    ax.set_ylabel("held-out examples")
    ax.set_title(f"{report['model']}: confidence")
    ax.legend(loc="upper left")
    _save(fig, path)


def draw_all(report: dict[str, Any], predictions: list[Prediction], out_dir: Path) -> list[str]:
    """Draw every plot into ``out_dir``; return the file names."""
    names = []
    for language in report["languages"]:
        name = f"confusion-{language}.png"
        confusion_matrix(report, predictions, language, out_dir / name)
        names.append(name)
    f1_bars(report, out_dir / "f1-by-language.png")
    confidence_histogram(report, predictions, out_dir / "confidence-histogram.png")
    return [*names, "f1-by-language.png", "confidence-histogram.png"]
