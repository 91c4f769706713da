"""resolve_data_dir: explicit > env > ../shared/datasets (cwd) > repo root."""

from __future__ import annotations

from pathlib import Path

import pytest

from optcopilot.io import data_dir as paths
from optcopilot.io.data_dir import ENV_VAR, DatasetError, resolve_data_dir


def test_explicit_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    monkeypatch.setenv(ENV_VAR, str(b))
    assert resolve_data_dir(a) == a.resolve()
    assert resolve_data_dir(str(a)) == a.resolve()


def test_env_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert resolve_data_dir(None) == tmp_path.resolve()


def test_missing_explicit_is_error_not_fallback(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=ENV_VAR) as err:
        resolve_data_dir(tmp_path / "nope")
    assert "\n" not in str(err.value)


def test_missing_env_is_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match="shared/datasets"):
        resolve_data_dir(None)


def test_cwd_relative_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared" / "datasets"
    shared.mkdir(parents=True)
    work = tmp_path / "main"
    work.mkdir()
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(work)
    assert resolve_data_dir() == shared.resolve()


def test_repo_root_fallback_and_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_root = tmp_path / "repo"
    elsewhere = tmp_path / "elsewhere" / "deep"
    fake_root.mkdir()
    elsewhere.mkdir(parents=True)
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.chdir(elsewhere)  # elsewhere/../shared/datasets never exists
    monkeypatch.setattr(paths, "repo_root", lambda: fake_root)
    with pytest.raises(DatasetError, match="not found"):
        resolve_data_dir()
    shared = tmp_path / "shared" / "datasets"
    shared.mkdir(parents=True)
    assert resolve_data_dir() == shared.resolve()


def test_repo_root_is_checkout() -> None:
    assert (paths.repo_root() / "optcopilot" / "io" / "data_dir.py").exists()
