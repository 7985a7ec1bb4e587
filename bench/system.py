"""One benchmarked system under load: start it, probe it, run the ladder, profile it, stop it."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bench import against, profiling, stack
from bench.founders import parse_texts
from bench.load import LoadDriver, StepResult
from bench.procs import ProcessSampler, cpu_per_message
from bench.schedule import next_ladder_rate
from bench.stats import summarise
from bench.targets import TARGET_RATE, highest_passing_rate, step_passes
from devtools.fake_telegram import FakeTelegram
from hubdata.i18n import Catalogs

PROBE_CHAT_ID = 1_000_001


@dataclass
class LoadPlan:
    """How hard and how long to push one system."""

    founders: int = 60
    max_founders: int = 5000
    warmup_rate: float = 10.0
    warmup_s: float = 10.0
    target_step_s: float = 30.0
    step_s: float = 10.0
    up: tuple[float, ...] = (TARGET_RATE, 40, 50, 60, 70, 80, 100, 120, 150)
    down: tuple[float, ...] = (20, 15, 10, 5)
    arrivals: str = "poisson"
    seed: int = 1
    turn_timeout_s: float = 10.0
    p99_limit_ms: float = 500.0
    profile_s: float = 15.0  # 0: no profiled pass
    parse_per_language: int = 20
    # The fake Bot API has no flood limit, so by default the adapter's own limit of 30 messages
    # a second (Telegram's) is lifted: the ladder measures the stack, not that limiter. So is
    # flood control per founder: simulated founders type faster than anyone (think time ~1 s).
    env: dict[str, str] = field(default_factory=lambda: {"RATE_GLOBAL_PER_S": "1000",
                                                         "FLOOD_MESSAGES_PER_MIN": "0"})


async def http_parse_latency(layout: stack.StackLayout, texts: list[str]) -> dict[str, Any]:
    """Time Rasa's ``POST /model/parse`` one text after another (no other load)."""
    url = f"{layout.rasa_urls[0]}/model/parse?token={layout.token}"
    latencies = []
    async with aiohttp.ClientSession() as session:
        for index, text in enumerate([*texts[:5], *texts]):
            before = time.perf_counter()
            async with session.post(url, json={"text": text}) as response:
                response.raise_for_status()
                await response.json()
            if index >= 5:  # the first five warm up
                latencies.append(time.perf_counter() - before)
    return summarise(latencies)


async def _quiesce(fake: FakeTelegram, quiet_s: float = 2.0, max_s: float = 90.0) -> None:
    """Wait until the bot has sent nothing for ``quiet_s`` (a backlog from an overload)."""
    deadline = time.monotonic() + max_s
    mark, since = fake.mark(), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        await asyncio.sleep(0.2)
        if fake.mark() != mark:
            mark, since = fake.mark(), time.monotonic()


async def _measured_step(
    driver: LoadDriver,
    sampler: ProcessSampler,
    name: str,
    rate: float,
    duration_s: float,
    plan: LoadPlan,
    seed: int,
    ladder: bool,
) -> dict[str, Any]:
    before, own_before = sampler.cpu(), time.process_time()
    result: StepResult = await driver.run_step(
        name, rate, duration_s, arrivals=plan.arrivals, seed=seed
    )
    result.extra["cpu_ms_per_message"] = cpu_per_message(before, sampler.cpu(), len(result.turns))
    result.extra["bench_cpu_ms_per_message"] = (  # the fake Bot API and the founders
        round((time.process_time() - own_before) * 1000.0 / len(result.turns), 2)
        if result.turns
        else None
    )
    result.extra["ladder"] = ladder
    summary = result.summary()
    print(
        f"  {name}: sent {summary['achieved_rate']} msg/s, p50 {summary['latency']['p50_ms']}"
        f" p99 {summary['latency']['p99_ms']} ms, errors {summary['errors']}",
        flush=True,
    )
    return summary


async def run_system(
    model: Path, plan: LoadPlan, layout_name: str, artifacts: Path, source: Path | None = None
) -> dict[str, Any]:
    """Start the stack on ``model``, measure it, stop it.

    Args:
        model: The Rasa model to serve.
        plan: The load.
        layout_name: A key of ``stack.LAYOUTS``.
        artifacts: Where logs and profiles of this system go.
        source: A worktree of another revision whose code the stack runs (``--against``);
            checked after its first answer (``bench.against.check_running``).

    Returns:
        ``startup``, ``parse_http``, ``steps``, ``target_step``, ``max_rate_under_limit``,
        ``sustained_rate`` (answered msg/s at that rate), ``peak_answered_rate`` (the most
        answered per second in any ladder step), ``memory`` and ``profile``; with ``source``,
        ``source`` (each process's cwd, ``PYTHONPATH`` and main module).
    """
    result: dict[str, Any] = {"model": model.name, "layout": layout_name}
    fake = FakeTelegram(port=0)
    await fake.start()
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        layout = stack.LAYOUTS[layout_name](
            Path(tmp), model, fake.base_url, plan.env, **({"source": source} if source else {})
        )
        layout.log_dir = artifacts / "logs"
        await asyncio.to_thread(stack.run_setup, layout)
        driver = LoadDriver(
            fake,
            Catalogs(),
            seed=plan.seed,
            initial_founders=plan.founders,
            max_founders=plan.max_founders,
            turn_timeout_s=plan.turn_timeout_s,
        )
        sampler: ProcessSampler | None = None
        sampling: asyncio.Task[None] | None = None
        try:
            await driver.start()
            started = stack.spawn(layout)
            sampler = ProcessSampler(layout.pids())
            sampling = asyncio.create_task(sampler.run())
            await stack.wait_ready(layout, started)
            probe = await driver.one_turn(PROBE_CHAT_ID, "hello", "en", timeout_s=120.0)
            result["startup"] = {
                "first_answer_s": None
                if probe.first_at is None
                else round(probe.first_at - started, 2),
                "ready_s": dict(layout.ready_s),
            }
            print(f"  first answer {result['startup']['first_answer_s']} s after start", flush=True)
            if source is not None:  # after the first answer: not counted in the start-up
                result["source"] = await asyncio.to_thread(
                    against.check_running, source, layout.pids()
                )
                print(f"  every process runs the code in {source}", flush=True)
            result["parse_http"] = await http_parse_latency(
                layout, parse_texts(plan.parse_per_language)
            )
            result["steps"] = steps = []
            steps.append(
                await _measured_step(
                    driver,
                    sampler,
                    "warm-up",
                    plan.warmup_rate,
                    plan.warmup_s,
                    plan,
                    plan.seed,
                    ladder=False,
                )
            )
            await _ladder(driver, sampler, fake, plan, steps, layout, artifacts, result)
            result["max_rate_under_limit"] = highest_passing_rate(steps, plan.p99_limit_ms)
            passing = [
                s
                for s in steps
                if s.get("ladder") and s["target_rate"] == result["max_rate_under_limit"]
            ]
            result["sustained_rate"] = passing[0]["answered_rate"] if passing else None
            result["peak_answered_rate"] = max(
                (s["answered_rate"] for s in steps if s.get("ladder")), default=None
            )
        finally:
            if sampling is not None:
                sampling.cancel()
            if sampler is not None:
                result["memory"] = sampler.report()
            await driver.stop()
            await stack.stop(layout)
            await fake.stop()
    return result


async def _ladder(
    driver: LoadDriver,
    sampler: ProcessSampler,
    fake: FakeTelegram,
    plan: LoadPlan,
    steps: list[dict[str, Any]],
    layout: stack.StackLayout,
    artifacts: Path,
    result: dict[str, Any],
) -> None:
    history: list[tuple[float, bool]] = []
    rate = next_ladder_rate(history, plan.up, plan.down)
    while rate is not None:
        first = not history
        duration = plan.target_step_s if first else plan.step_s
        summary = await _measured_step(
            driver,
            sampler,
            f"{rate:g} msg/s",
            rate,
            duration,
            plan,
            plan.seed + len(steps),
            ladder=True,
        )
        steps.append(summary)
        passed = step_passes(summary, plan.p99_limit_ms)
        history.append((rate, passed))
        if rate == TARGET_RATE:
            result["target_step"] = summary
            if plan.profile_s > 0:
                await _quiesce(fake)
                result["profile"] = await _profiled_pass(
                    driver, sampler, plan, steps, layout, artifacts
                )
                passed = False  # the profiled pass may leave a backlog: let it drain below
        if not passed:
            await _quiesce(fake)
        rate = next_ladder_rate(history, plan.up, plan.down)


async def _profiled_pass(
    driver: LoadDriver,
    sampler: ProcessSampler,
    plan: LoadPlan,
    steps: list[dict[str, Any]],
    layout: stack.StackLayout,
    artifacts: Path,
) -> dict[str, Any]:
    """The target rate again with py-spy attached to every process (not used for targets)."""
    duration = max(plan.profile_s + 4.0, plan.step_s)

    async def profile_later() -> dict[str, Any]:
        await asyncio.sleep(2.0)
        return await profiling.record(layout.pids(), plan.profile_s, artifacts)

    profiled, summary = await asyncio.gather(
        profile_later(),
        _measured_step(
            driver,
            sampler,
            f"{TARGET_RATE:g} msg/s under py-spy",
            TARGET_RATE,
            duration,
            plan,
            plan.seed + 100,
            ladder=False,
        ),
    )
    steps.append(summary)
    return profiled
