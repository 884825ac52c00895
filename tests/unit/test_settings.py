"""Settings from the environment: empty means not set, a bad value is a one-line error."""

import os
import stat
import subprocess
import sys

import pytest

from vendorgov.settings import SettingsError, load_settings


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VENDORGOV_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("VENDORGOV_SECRET_KEY", raising=False)
    return tmp_path


def test_an_empty_variable_means_not_set(environment, monkeypatch):
    for name in ("VENDORGOV_DATABASE_URL", "VENDORGOV_TIMEZONE", "VENDORGOV_SESSION_HOURS"):
        monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{environment / 'data' / 'vendorgov.sqlite3'}"
    assert settings.timezone == "Asia/Shanghai" and settings.session_hours == 10


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("VENDORGOV_DATABASE_URL", "mysql://db/x"),
        ("VENDORGOV_DATABASE_URL", "not a url"),
        ("VENDORGOV_TIMEZONE", "Mars/Olympus"),
        ("VENDORGOV_MAX_UPLOAD_BYTES", "10MB"),
    ],
)
def test_a_bad_value_names_the_variable(environment, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings()


def test_the_data_dir_and_key_are_private(environment):
    settings = load_settings()
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((settings.data_dir / "secret_key").stat().st_mode) == 0o600


def _migrate(environment, url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "VENDORGOV_DATA_DIR": str(environment / "data")}
    env["VENDORGOV_DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "migrate"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_migrate_with_an_empty_database_url_uses_the_default(environment):
    done = _migrate(environment, "")
    assert done.returncode == 0, done.stderr
    database = environment / "data" / "vendorgov.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_migrate_with_a_bad_database_url_is_one_line(environment):
    done = _migrate(environment, "mysql://db/x")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "Error: VENDORGOV_DATABASE_URL: 'mysql://db/x' is not a database URL "
        "(use sqlite:///path or postgresql://user@host/db)"
    ]
