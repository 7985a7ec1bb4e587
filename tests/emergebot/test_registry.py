"""The model registry: statuses, history, model file checks, the model Rasa starts with."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from emergebot.registry import (
    CANDIDATE,
    LIVE,
    RETIRED,
    ModelFileError,
    Registry,
    check_model_file,
    file_sha256,
    serving_model,
)


def _model(directory: Path, name: str, members: tuple[str, ...] = ("metadata.json",)) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member in members:
            info = tarfile.TarInfo(member)
            info.size = 2
            archive.addfile(info, io.BytesIO(b"{}"))
    return path


def test_first_model_is_live_then_candidates_promotion_and_rollback(tmp_path: Path) -> None:
    registry = Registry(tmp_path)
    for name, created in (("emergebot-a", "2026-01-01"), ("emergebot-b", "2026-02-01")):
        registry.register(name, {"file": f"{name}.tar.gz", "created": created})
    assert registry.live_name == "emergebot-a"
    assert registry.models["emergebot-b"]["status"] == CANDIDATE
    assert registry.newest_candidate() == "emergebot-b"
    registry.make_live("emergebot-b", "promote", forced=True, reason="demo")
    registry.save()
    reloaded = Registry(tmp_path)
    assert reloaded.live_name == "emergebot-b"
    assert reloaded.models["emergebot-a"]["status"] == RETIRED
    assert reloaded.history[-1]["forced"] is True and reloaded.history[-1]["reason"] == "demo"
    assert reloaded.previous_live() == "emergebot-a"
    reloaded.make_live("emergebot-a", "rollback")
    assert reloaded.models["emergebot-a"]["status"] == LIVE
    assert reloaded.previous_live() == "emergebot-b"  # rolling back twice undoes the rollback
    assert reloaded.resolve(str(tmp_path / "emergebot-b.tar.gz")) == "emergebot-b"
    with pytest.raises(KeyError):
        reloaded.resolve("emergebot-zzz")


def test_model_file_checks_name_the_file(tmp_path: Path) -> None:
    good = _model(tmp_path, "good")
    check_model_file(good, file_sha256(good))
    with pytest.raises(ModelFileError, match=f"{tmp_path / 'gone.tar.gz'}: model file missing"):
        check_model_file(tmp_path / "gone.tar.gz")
    with pytest.raises(ModelFileError, match="SHA-256 differs"):
        check_model_file(good, "0" * 64)
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(good.read_bytes()[:40])
    with pytest.raises(ModelFileError, match=f"{broken}: corrupt"):
        check_model_file(broken)
    with pytest.raises(ModelFileError, match="not a Rasa model"):
        check_model_file(_model(tmp_path, "other", ("x.txt",)))


def test_rasa_starts_with_the_live_model_not_the_newest(tmp_path: Path) -> None:
    live = _model(tmp_path, "emergebot-aaaaaaaaaaaa")
    registry = Registry(tmp_path)
    registry.register("emergebot-aaaaaaaaaaaa", {"file": live.name, "created": "1"})
    registry.save()
    _model(tmp_path, "emergebot-bbbbbbbbbbbb")  # newer, not promoted
    assert serving_model(tmp_path) == live
    live.unlink()  # a lost live file: fall back to the newest model rather than none
    assert serving_model(tmp_path) == tmp_path / "emergebot-bbbbbbbbbbbb.tar.gz"
