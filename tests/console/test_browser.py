"""The console driven by a real headless Chromium (Debian's chromium and chromium-driver).

A desk with known tickets (made through the service layer on a controlled clock) is served by
the real console application on a local port; the browser signs in, filters the queue, answers
and resolves a ticket, switches language and reads the metrics. Screenshots are saved under
var/screenshots/ for people to look at.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy.orm import sessionmaker

from console.app import make_app
from hubdata.desk import announcements, metrics, ticket_messages, transitions
from hubdata.desk.results import TELEGRAM, Actor
from hubdata.desk.transcript import Line
from hubdata.settings import PROJECT_ROOT, Settings
from tests.console.conftest import token_for
from tests.hubdata.desk.conftest import AMINA, PEDRO, T0, Clock, call, request

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1280,1400", "--lang=en-GB")
NOW = T0 + timedelta(hours=6)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: one browser run is enough (the service layer is tested on both)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'console-browser.db'}"


async def desk_with_history(sessions: sessionmaker, settings: Settings) -> dict[str, int]:
    """Seven tickets in six languages; four answered, resolved and rated."""
    amina, pedro = Actor(AMINA, TELEGRAM), Actor(PEDRO, TELEGRAM)
    clock = Clock()
    made: dict[str, int] = {}

    async def open_ticket(key: str, founder: int, lang: str, topic: str | None, name: str,
                          at: timedelta, priority: str = "normal") -> int:
        clock.now = T0 + at
        number, _ = await request(sessions, settings, clock(), founder_id=founder,
                                  language=lang, topic=topic, entities={})
        await call(sessions, lambda s: announcements.announce(
            s, settings, number, now=clock(), founder_name=name,
            transcript=[Line("founder", f"question from {name}")]))
        if priority != "normal":
            await call(sessions, lambda s: transitions.set_priority(s, settings, pedro, number,
                                                                    priority, now=clock()))
        made[key] = number
        return number

    async def answer(number: int, who: Actor, after: float, rating: int) -> None:
        await call(sessions, lambda s: transitions.claim(s, settings, who, number, now=clock()))
        clock.now += timedelta(minutes=after)
        await call(sessions, lambda s: ticket_messages.reply(
            s, who, number, "here is what we found", now=clock()))
        await call(sessions, lambda s: transitions.resolve(s, settings, who, number, now=clock()))
        founder = 9000 + list(made.values()).index(number) + 1
        await call(sessions, lambda s: ticket_messages.rate(s, founder, number, rating,
                                                            now=clock()))

    await answer(await open_ticket("fr", 9001, "fr", "funding", "Awa", timedelta()),
                 amina, 12, 5)
    await answer(await open_ticket("es", 9002, "es", "mentor", "Lucía", timedelta(minutes=20)),
                 pedro, 95, 4)
    await answer(await open_ticket("ar", 9003, "ar", "membership", "Omar",
                                   timedelta(minutes=30), "high"), amina, 300, 2)
    await answer(await open_ticket("pt", 9004, "pt", "training", "João",
                                   timedelta(minutes=40), "urgent"), pedro, 8, 5)
    await open_ticket("ru", 9005, "ru", "events", "Ivan", timedelta(hours=1))
    await open_ticket("zh", 9006, "zh", "hubs", "Li", timedelta(hours=2), "low")
    en = await open_ticket("en", 9007, "en", None, "Sam", timedelta(hours=5))
    await call(sessions, lambda s: transitions.claim(s, settings, amina, en, now=clock()))
    return made


@pytest.fixture
async def console_url(team: sessionmaker, settings: Settings) -> AsyncIterator[str]:
    """The real console application on a free local port, its clock at T0 + 6 h."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    runner = web.AppRunner(make_app(settings, clock=lambda: NOW))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def open_chromium() -> tuple[Any, str]:
    """A headless Chromium on a fresh profile; returns the driver and the profile's folder."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.implicitly_wait(5)
    return driver, profile


def submitter(driver: Any) -> Callable[[str], None]:
    """``submit(css)``: press a form's button and wait until the next page replaced this one."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    def submit(css: str) -> None:
        page = driver.find_element(By.TAG_NAME, "html")
        driver.find_element(By.CSS_SELECTOR, css).click()
        WebDriverWait(driver, 10).until(expected_conditions.staleness_of(page))

    return submit


def drive(url: str, token: str, tickets_by_lang: dict[str, int]) -> dict[str, str]:
    """What a staff member does in the browser; returns the figures the metrics page shows."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, profile = open_chromium()
    submit = submitter(driver)
    try:
        driver.get(url + "/")
        assert driver.current_url.endswith("/login")
        driver.find_element(By.NAME, "token").send_keys(token)
        submit("#login-form button")
        rows = driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        assert len(rows) == 3, [r.text for r in rows]  # the open tickets, most pressing first
        assert rows[0].get_attribute("id") == f"ticket-{tickets_by_lang['ru']}"
        assert "missed" in rows[0].text  # 5 h without a reply: past the 4 h target
        Select(driver.find_element(By.NAME, "language")).select_by_value("zh")
        submit("#filters button")
        rows = driver.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        assert [r.get_attribute("id") for r in rows] == [f"ticket-{tickets_by_lang['zh']}"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.get(url + "/")
        driver.save_screenshot(str(SCREENSHOTS / "console-queue.png"))

        driver.get(f"{url}/tickets/{tickets_by_lang['en']}")
        driver.find_element(By.CSS_SELECTOR, "#reply-form textarea").send_keys(
            "Hello Sam, the Digital Skills programme opens in January: here is the link.")
        submit("#reply-form button")
        assert "Sent to the founder" in driver.find_element(By.CSS_SELECTOR, ".flash").text
        driver.find_element(By.CSS_SELECTOR, "#note-form textarea").send_keys(
            "Follow up after the January intake.")
        submit("#note-form button")
        transcript = driver.find_element(By.ID, "transcript").text
        assert "Digital Skills programme" in transcript and "January intake" in transcript
        driver.save_screenshot(str(SCREENSHOTS / "console-ticket.png"))
        submit("form[action$='/resolve'] button")
        assert "is resolved" in driver.find_element(By.CSS_SELECTOR, ".flash").text

        driver.get(url + "/metrics")
        figures = {e.get_attribute("id").removeprefix("metric-"):
                   e.find_element(By.TAG_NAME, "strong").text
                   for e in driver.find_elements(By.CSS_SELECTOR, "#figures li")}
        for chart in ("chart-topic", "chart-language", "chart-first-reply", "chart-sla",
                      "chart-ratings"):
            assert driver.find_elements(By.CSS_SELECTOR, f"#{chart} svg rect"), chart
        driver.save_screenshot(str(SCREENSHOTS / "console-metrics.png"))

        Select(driver.find_element(By.CSS_SELECTOR, "#language-form select")).select_by_value("ar")
        submit("#language-form button")
        assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
        assert "المؤشرات" in driver.find_element(By.TAG_NAME, "h1").text
        driver.save_screenshot(str(SCREENSHOTS / "console-metrics-ar.png"))
        return figures
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def chromium() -> None:
    """Debian's Chromium and its driver must be there (``make browser`` installs them)."""
    if not (CHROMIUM.exists() and DRIVER.exists()):
        pytest.fail("Chromium is missing: run `make browser` (make test does)")


async def test_a_staff_member_works_the_desk_in_chromium(
        chromium: None, team: sessionmaker, settings: Settings, console_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look online
    made = await desk_with_history(team, settings)
    token = await token_for(team, AMINA)
    figures = await asyncio.to_thread(drive, console_url, token, made)
    async with team() as session:
        computed = await metrics.compute(session, NOW)
    print("metrics page:", figures)
    # First replies after 8, 12, 60 (answered in the browser), 95 and 300 minutes.
    assert sorted(round(m) for m in computed.first_reply_minutes) == [8, 12, 60, 95, 300]
    assert figures == {
        "total": "7", "open": "2", "resolved": "5", "median-first-reply": "1 hour",
        "first-response-breaches": "2", "resolution-breaches": "0",
        "average-rating": "4.0 (4)"}
    assert (SCREENSHOTS / "console-metrics.png").stat().st_size > 10_000
