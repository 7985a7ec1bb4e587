"""The console's NLU page: the live model's held-out figures, confusions and least sure
messages, the same report as ``emergebot nlu report``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.orm import sessionmaker

from hubdata.settings import Settings
from tests.console.conftest import sign_in, token_for
from tests.emergebot import trackers as t
from tests.emergebot.evaluations import MODEL, live_model_with_report
from tests.hubdata.desk.conftest import AMINA, STAFF_GROUP


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The test database; models, reports and the tracker store under tmp_path."""
    return Settings(database_url=database_url, staff_chat_id=STAFF_GROUP,
                    model_dir=tmp_path / "models", var_dir=tmp_path / "var",
                    tracker_store_db=str(tmp_path / "tracker.db"))


async def test_staff_see_the_live_models_report(client: TestClient, team: sessionmaker,
                                                settings: Settings, tmp_path: Path) -> None:
    live_model_with_report(settings.model_dir, settings.var_dir)
    await asyncio.to_thread(t.write, tmp_path / "tracker.db", {"301": [  # it runs a loop
        t.user("money <for> my app?", [("ask_funding", 0.42), ("ask_training", 0.3)]),
        t.user("grants?", [("ask_funding", 0.97)])]})
    await sign_in(client, await token_for(team, AMINA))
    response = await client.get("/nlu")
    assert response.status == 200
    page = await response.text()
    assert 'href="/nlu" class=active' in page
    assert f"Live model: {MODEL}" in page
    assert ('<tr class="language" data-language="en"><td>English</td><td>6</td><td>33.3%</td>'
            "<td>50.0%</td><td>33.3%</td></tr>") in page
    assert ('<tr class="language" data-language="all"><td>All languages</td><td>8</td>'
            "<td>50.0%</td><td>66.7%</td><td>50.0%</td></tr>") in page
    assert ("<td><code>ask_funding</code></td><td><code>ask_training</code></td><td>2</td>"
            in page)
    assert "Messages the bot was least sure of (last 7 days)" in page
    assert page.index("money &lt;for&gt; my app?") < page.index("grants?")  # escaped, lowest first
    assert "<td>0.42</td>" in page and "nlu-problem" not in page


async def test_the_page_says_what_is_missing_in_the_staff_language(
        client: TestClient, team: sessionmaker) -> None:
    await sign_in(client, await token_for(team, AMINA), lang="fr")
    page = await (await client.get("/nlu", params={"days": "30"})).text()
    assert 'data-code="no_model"' in page and "Pas encore de modèle en service" in page
    assert 'data-code="no_tracker_store"' in page
    assert '<option value="30" selected>' in page
    assert "Messages dont le bot était le moins sûr (30 derniers jours)" in page
    assert 'id="nlu-languages"' not in page


async def test_the_page_needs_a_sign_in(client: TestClient) -> None:
    response = await client.get("/nlu", allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/login"
