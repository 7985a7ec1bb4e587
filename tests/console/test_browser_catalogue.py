"""The catalogue desk driven by a real headless Chromium, as tests/console/test_browser.py does
for tickets: edit an entry, meet a validation error, read the history, re-verify and retire.
Screenshots: var/screenshots/console-catalogue-*.png."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from hubdata.db import transaction
from hubdata.models import Resource, Search
from tests.console.conftest import token_for
from tests.console.test_browser import (  # noqa: F401 - fixtures
    NOW,
    SCREENSHOTS,
    chromium,
    console_url,
    database_url,
    open_chromium,
    submitter,
)
from tests.console.test_catalogue import make_catalogue
from tests.hubdata.desk.conftest import AMINA

SHOTS = ("list", "edit", "error", "history", "reverify", "retire", "review", "gaps")


def drive(url: str, token: str) -> None:
    """What a staff member does with one entry in the browser."""
    from selenium.webdriver.common.by import By

    driver, profile = open_chromium()
    submit = submitter(driver)

    def type_into(ident: str, text: str) -> None:
        field = driver.find_element(By.ID, ident)
        field.clear()
        field.send_keys(text)

    def shot(name: str) -> None:
        driver.save_screenshot(str(SCREENSHOTS / f"console-catalogue-{name}.png"))

    def flash() -> str:
        return str(driver.find_element(By.CSS_SELECTOR, ".flash").text)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        driver.get(url + "/login")
        driver.find_element(By.NAME, "token").send_keys(token)
        submit("#login-form button")
        driver.find_element(By.LINK_TEXT, "Catalogue").click()
        rows = driver.find_elements(By.CSS_SELECTOR, "#catalogue tbody tr")
        assert len(rows) == 5, [r.text for r in rows]
        assert "<b>Nairobi</b> Hub & co" in driver.find_element(By.ID, "entry-hub-ke").text
        shot("list")

        driver.find_element(By.CSS_SELECTOR, "#entry-hub-ke a").click()
        type_into("f-organisation", "Nairobi Hub Ltd")
        type_into("f-text-fr-title", "Hub de Nairobi")
        type_into("f-text-fr-description", "Un hub à Nairobi.")
        shot("edit")
        submit("#entry-form button[type=submit]")
        assert "Saved" in flash()

        type_into("f-areas", "KE, XX")
        type_into("f-text-en-title", "")
        submit("#entry-form button[type=submit]")
        assert "Not saved: 2 field(s)" in flash()
        assert "unknown country or region code XX" in driver.find_element(
            By.ID, "error-areas").text
        assert "needs a title" in driver.find_element(By.ID, "error-text-en-title").text
        shot("error")

        driver.get(url + "/catalogue/entries/hub-ke")
        history = driver.find_element(By.ID, "history").text
        assert "organisation: Org → Nairobi Hub Ltd" in history
        assert "text.fr.title: — → Hub de Nairobi" in history
        driver.execute_script("document.getElementById('history').scrollIntoView()")
        shot("history")

        type_into("f-confirm-source", "https://example.org/nairobi-hub")
        submit("#reverify-form button")
        assert "re-verified today" in flash()
        assert "Verified on: 2026-11-30" in driver.find_element(By.ID, "entry-meta").text
        shot("reverify")

        submit("#retire-form button")
        assert "founders will not be offered it any more" in flash()
        assert not driver.find_elements(By.ID, "retire-form")
        assert "retired" in driver.find_element(By.ID, "entry-meta").text
        shot("retire")

        driver.find_element(By.LINK_TEXT, "Review").click()
        rows = driver.find_elements(By.CSS_SELECTOR, "#review tbody tr")
        assert [r.get_attribute("id") for r in rows] == [
            "review-event-old", "review-mentor-world", "review-training-x"]
        shot("review")

        driver.find_element(By.LINK_TEXT, "Gaps").click()
        rows = driver.find_elements(By.CSS_SELECTOR, "#gaps tbody tr")
        assert rows and "Uganda" in rows[0].text, [r.text for r in rows]
        assert driver.find_element(By.ID, "gaps-chart").is_displayed()
        shot("gaps")
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


async def test_a_staff_member_edits_the_catalogue_in_chromium(
        chromium: None, team: sessionmaker, console_url: str,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look online
    await make_catalogue(team)
    async with transaction(team) as session:  # two founders found nothing: a gap
        session.add_all([Search(user_id=u, topic="funding", result_ids=[], supply="none",
                                filters={"topic": "funding", "country": "UG"},
                                created_at=NOW - timedelta(days=u)) for u in (1, 9)])
    token = await token_for(team, AMINA)
    await asyncio.to_thread(drive, console_url, token)
    async with transaction(team) as session:
        resource = await session.get(Resource, "hub-ke")
        assert resource is not None
        assert (resource.organisation, resource.status, resource.verified_on.isoformat(),
                resource.source_url) == ("Nairobi Hub Ltd", "retired", NOW.date().isoformat(),
                                         "https://example.org/nairobi-hub")
        assert resource.areas == ["KE"]  # the invalid save changed nothing
    for name in SHOTS:
        assert (SCREENSHOTS / f"console-catalogue-{name}.png").stat().st_size > 10_000, name
