from pathlib import Path

import pytest

from fedianon.settings import SettingsError, describe, load_settings


def load(env: dict[str, str], tmp_path: Path, **kwargs):  # type: ignore[no-untyped-def]
    return load_settings({"FEDIANON_DATA_DIR": str(tmp_path), **env}, dotenv=None, **kwargs)


def test_defaults_serve_the_embedded_sqlite_on_localhost(tmp_path: Path) -> None:
    settings = load({}, tmp_path)
    assert settings.domain == "127.0.0.1:8000"
    assert settings.scheme == "http"
    assert settings.database.engine == "sqlite"
    assert not settings.sign_up_open


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"FEDIANON_DATABASE_URL": "mysql://x@y/z"}, "FEDIANON_DATABASE_URL"),
        ({"FEDIANON_DATABASE_URL": "postgres://user:secret@/db"}, "has no host"),
        ({"FEDIANON_DATABASE_URL": "postgres://user@host:5432/"}, "has no database name"),
        ({"FEDIANON_DOMAIN": "https://campus.example"}, "bare host name"),
        ({"FEDIANON_DOMAIN": "campus..example"}, "not a valid host name"),
        ({"FEDIANON_DOMAIN": "campus.example:99999"}, "invalid port"),
        (
            {"FEDIANON_DOMAIN": "campus.example", "FEDIANON_SCHEME": "http"},
            "only allowed for a loopback",
        ),
        ({"FEDIANON_CAMPUS_DOMAINS": "campus.example, not a domain"}, "FEDIANON_CAMPUS_DOMAINS"),
        ({"FEDIANON_SMTP_URL": "imap://x"}, "FEDIANON_SMTP_URL"),
        ({"FEDIANON_WORKERS": "many"}, "whole number"),
        ({"FEDIANON_SECRET_KEY": "short", "FEDIANON_EMAIL_PEPPER": "p" * 40}, "too short"),
    ],
)
def test_bad_settings_stop_with_one_line_naming_the_variable(
    env: dict[str, str], fragment: str, tmp_path: Path
) -> None:
    with pytest.raises(SettingsError) as info:
        load(env, tmp_path)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert "secret" not in message or "FEDIANON_SECRET_KEY" in message


def test_password_in_database_url_is_never_shown(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load({"FEDIANON_DATABASE_URL": "postgres://user:hunter2@/db"}, tmp_path)
    assert "hunter2" not in str(info.value)
    settings = load({"FEDIANON_DATABASE_URL": "postgres://user:hunter2@db:5432/fedianon"}, tmp_path)
    assert "hunter2" not in str(describe(settings))


def test_first_run_generates_secrets_once_with_private_permissions(tmp_path: Path) -> None:
    first = load({}, tmp_path, generate_secrets=True)
    second = load({}, tmp_path, generate_secrets=True)
    assert len(first.secret_key) >= 32 and len(first.email_pepper) >= 32
    assert first.secret_key != first.email_pepper
    assert (first.secret_key, first.email_pepper) == (second.secret_key, second.email_pepper)
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600


def test_campus_domains_are_normalized(tmp_path: Path) -> None:
    settings = load(
        {"FEDIANON_CAMPUS_DOMAINS": " Campus.Example ,*.uni.example,@mail.x.org"}, tmp_path
    )
    assert settings.campus_domains == ("campus.example", "*.uni.example", "mail.x.org")


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("FEDIANON_DOMAIN=campus.example\nFEDIANON_WORKERS=3\nOTHER=1\n")
    settings = load_settings(
        {"FEDIANON_WORKERS": "2", "FEDIANON_DATA_DIR": str(tmp_path)}, dotenv=env_file
    )
    assert settings.domain == "campus.example"
    assert settings.scheme == "https"
    assert settings.workers == 2
