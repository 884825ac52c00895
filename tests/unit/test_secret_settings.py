"""The secret key and Redis settings: with Redis every host must be given the same key (one
generated per host would differ), from the variable or a file; keys for each purpose are
derived apart from one another."""

import os
import subprocess
import sys

import pytest

from vendorgov.app import CSRF_LABEL
from vendorgov.audit.chain import CHECKPOINT_LABEL, TRAIL_LABEL, derive_key
from vendorgov.settings import SettingsError, load_settings
from vendorgov.tenders import sealing

REDIS = "redis://127.0.0.1:6379/9"


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("VENDORGOV_DATA_DIR", str(tmp_path / "data"))
    for name in ("VENDORGOV_SECRET_KEY", "VENDORGOV_SECRET_KEY_FILE", "VENDORGOV_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_without_redis_a_key_is_generated_under_the_data_dir(environment):
    settings = load_settings()
    assert settings.redis_url == ""
    assert settings.secret_key == (environment / "data" / "secret_key").read_text().strip()


@pytest.mark.parametrize("key_file", [None, ""])
def test_redis_without_a_key_is_refused(environment, monkeypatch, key_file):
    monkeypatch.setenv("VENDORGOV_REDIS_URL", REDIS)
    monkeypatch.setenv("VENDORGOV_SECRET_KEY", "")  # empty means not set
    if key_file is not None:
        monkeypatch.setenv("VENDORGOV_SECRET_KEY_FILE", key_file)
    with pytest.raises(SettingsError, match="VENDORGOV_SECRET_KEY or VENDORGOV_SECRET_KEY_FILE"):
        load_settings()
    assert not (environment / "data" / "secret_key").exists()


def test_redis_with_a_key(environment, monkeypatch):
    monkeypatch.setenv("VENDORGOV_REDIS_URL", REDIS)
    monkeypatch.setenv("VENDORGOV_SECRET_KEY", "shared by every host")
    settings = load_settings()
    assert settings.redis_url == REDIS and settings.secret_key == "shared by every host"


def test_an_empty_redis_url_means_not_set(environment, monkeypatch):
    monkeypatch.setenv("VENDORGOV_REDIS_URL", "")
    assert load_settings().redis_url == ""


@pytest.mark.parametrize("url", ["127.0.0.1:6379", "http://cache/0", "redis"])
def test_a_bad_redis_url_names_the_variable(environment, monkeypatch, url):
    monkeypatch.setenv("VENDORGOV_REDIS_URL", url)
    monkeypatch.setenv("VENDORGOV_SECRET_KEY", "k")
    with pytest.raises(SettingsError, match="VENDORGOV_REDIS_URL"):
        load_settings()


def test_the_key_file_is_read_and_stripped(environment, monkeypatch):
    key_file = environment / "vendorgov.key"
    key_file.write_text("  from the secrets manager\n")
    monkeypatch.setenv("VENDORGOV_SECRET_KEY_FILE", str(key_file))
    monkeypatch.setenv("VENDORGOV_REDIS_URL", REDIS)
    assert load_settings().secret_key == "from the secrets manager"
    # The key is the operator's: none is generated in the data dir.
    assert not (environment / "data" / "secret_key").exists()


@pytest.mark.parametrize(("content", "message"), [(None, "cannot read"), ("\n  \n", "is empty")])
def test_a_missing_or_empty_key_file_is_refused(environment, monkeypatch, content, message):
    key_file = environment / "vendorgov.key"
    if content is not None:
        key_file.write_text(content)
    monkeypatch.setenv("VENDORGOV_SECRET_KEY_FILE", str(key_file))
    with pytest.raises(SettingsError, match=f"VENDORGOV_SECRET_KEY_FILE: .*{message}"):
        load_settings()


def test_the_key_and_a_key_file_together_are_refused(environment, monkeypatch):
    key_file = environment / "vendorgov.key"
    key_file.write_text("one")
    monkeypatch.setenv("VENDORGOV_SECRET_KEY_FILE", str(key_file))
    monkeypatch.setenv("VENDORGOV_SECRET_KEY", "another")
    with pytest.raises(SettingsError, match="both set"):
        load_settings()


def test_the_command_says_so_in_one_line(environment):
    env = {**os.environ, "VENDORGOV_DATA_DIR": str(environment / "data")}
    env.update({"VENDORGOV_REDIS_URL": REDIS, "VENDORGOV_SECRET_KEY": ""})
    env.pop("VENDORGOV_SECRET_KEY_FILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "vendorgov.cli", "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "VENDORGOV_SECRET_KEY_FILE is required with VENDORGOV_REDIS_URL" in done.stderr


def test_each_purpose_has_its_own_key():
    secret = "pinned secret"
    keys = {
        derive_key(secret, CSRF_LABEL),
        derive_key(secret, TRAIL_LABEL),
        derive_key(secret, CHECKPOINT_LABEL),
        sealing._wrapping_key(secret),
        secret.encode(),
    }
    assert len(keys) == 5


def test_the_bid_sealing_derivation_is_unchanged():
    """Bids sealed before keys were split must still open: the wrapping key stays
    HKDF-SHA-256(secret, info="vendorgov tender key wrapping")."""
    assert sealing._wrapping_key("pinned secret").hex() == (
        "015ad09f48001281d6e28a6bf1268270c9cb9c42d92086668348d77952e2cb2c"
    )
