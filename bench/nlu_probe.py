"""NLU alone, in a process of its own: model load time, in-process parse latency, held-out accuracy.

``python -m bench.nlu_probe --model M --texts texts.json --out result.json [--no-heldout]``.
Run as a child of the benchmark so that TensorFlow and the model never load into the benchmark
process, and so that the peak memory of the agent alone can be read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from bench.procs import memory_kb
from bench.stats import summarise


async def probe(model: Path, texts: list[str], repeats: int, heldout: bool) -> dict[str, Any]:
    """Load the model, time ``repeats`` parses of each text, and score the held-out split."""
    started = time.monotonic()
    from rasa.core.agent import Agent

    from emergebot.parsing import quiet_rasa

    quiet_rasa()
    from nlu import rasa_patches

    rasa_patches.install()  # what the Rasa server runs with (nlu/channel.py installs them)
    imported = time.monotonic()
    agent = Agent.load(str(model))
    loaded = time.monotonic()
    for text in texts[:5]:  # warm caches (first-call costs are in load time, not per parse)
        await agent.parse_message(text)
    latencies = []
    for _ in range(repeats):
        for text in texts:
            before = time.perf_counter()
            await agent.parse_message(text)
            latencies.append(time.perf_counter() - before)
    result: dict[str, Any] = {
        "model": model.name,
        "import_s": round(imported - started, 2),
        "load_s": round(loaded - imported, 2),
        "parse": summarise(latencies),
    }
    if heldout:
        from emergebot.evaluation import load_heldout, predict, score

        before = time.monotonic()
        predictions = await predict(model, load_heldout())
        report = score(predictions)
        result["heldout"] = {
            "seconds": round(time.monotonic() - before, 1),
            "examples": report["examples"],
            "overall": report["overall"],
            "languages": report["languages"],
        }
    result["peak_rss_mb"] = round(memory_kb(os.getpid())[1] / 1024, 1)
    return result


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the probe, write the JSON result."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--texts", required=True, type=Path, help="a JSON list of texts")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-heldout", action="store_true")
    args = parser.parse_args(argv)
    texts = json.loads(args.texts.read_text(encoding="utf-8"))
    result = asyncio.run(probe(args.model, texts, args.repeats, not args.no_heldout))
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
