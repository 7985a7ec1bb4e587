"""``emergebot staff add|remove|list|token`` against a test database."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from emergebot.cli import main as cli


@pytest.fixture
def database(engine: AsyncEngine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI reads DATABASE_URL from the environment, as in production."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def test_add_list_token_remove(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["staff", "add", "501", "--name", "Amina K.", "--languages", "fr,en"]) == 0
    assert "added staff member 501 Amina K. (fr, en)" in capsys.readouterr().out
    assert cli(["staff", "add", "501", "--name", "Amina", "--languages", "ar"]) == 0
    assert "updated staff member 501 Amina (ar)" in capsys.readouterr().out
    assert cli(["staff", "token", "501"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("emd_") and len(token) > 30
    assert cli(["staff", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["501\tAmina\tar\tconsole token issued"]
    assert cli(["staff", "remove", "501"]) == 0
    assert "removed staff member 501 Amina" in capsys.readouterr().out
    assert cli(["staff", "list"]) == 0
    assert "no staff registered" in capsys.readouterr().out
    assert cli(["staff", "list", "--all"]) == 0
    assert capsys.readouterr().out.strip().endswith("(removed)")


def test_bad_input_is_refused(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["staff", "add", "7", "--name", "X", "--languages", "de"]) == 2
    assert "unsupported language 'de'" in capsys.readouterr().err
    assert cli(["staff", "token", "7"]) == 2
    assert cli(["staff", "remove", "7"]) == 2


def test_the_catalogue_permission(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(["staff", "add", "501", "--name", "Amina", "--languages", "fr",
                "--can-edit-catalogue"]) == 0
    assert "may edit the catalogue" in capsys.readouterr().out
    assert cli(["staff", "add", "502", "--name", "Pedro", "--languages", "es"]) == 0
    assert "catalogue" not in capsys.readouterr().out
    assert cli(["staff", "add", "501", "--name", "Amina K.", "--languages", "fr"]) == 0
    assert "may edit the catalogue" in capsys.readouterr().out  # kept on update
    assert cli(["staff", "catalogue", "502"]) == 0
    assert "502 Pedro may now edit the catalogue" in capsys.readouterr().out
    assert cli(["staff", "catalogue", "501", "--revoke"]) == 0
    assert "501 Amina K. may no longer edit the catalogue" in capsys.readouterr().out
    assert cli(["staff", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "501\tAmina K.\tfr\tno console token", "502\tPedro\tes\tno console token\tcatalogue"]
    assert cli(["staff", "catalogue", "7"]) == 2
