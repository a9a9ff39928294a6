"""Settings, read once from FEDIANON_* environment variables (and a `.env` file).

Every value is validated here, so a bad one stops start-up with one line that says what is
wrong. Secrets that are not given are generated on first run into the data directory.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

PREFIX = "FEDIANON_"
_HOST_RE = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)
_CAMPUS_RE = re.compile(
    r"^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)

ShowDomainBlocks = Literal["all", "users", "disabled"]


class SettingsError(ValueError):
    """A setting is missing or wrong; the message names it and says why, in one line."""


@dataclass(frozen=True)
class DatabaseConfig:
    engine: Literal["sqlite", "postgres"]
    url: str  # normalised for Tortoise: sqlite://path or postgres://...
    sqlite_path: Path | None = None
    postgres_name: str | None = None


@dataclass(frozen=True)
class SmtpConfig:
    mode: Literal["console", "smtp", "smtps"]
    host: str = ""
    port: int = 0
    username: str | None = None
    password: str | None = None
    starttls: bool = False


@dataclass(frozen=True)
class Settings:
    domain: str = "127.0.0.1:8000"
    scheme: Literal["http", "https"] = "http"
    database: DatabaseConfig = field(
        default_factory=lambda: parse_database_url("sqlite://data/fedianon.sqlite3")
    )
    data_dir: Path = Path("data")
    campus_domains: tuple[str, ...] = ()
    smtp: SmtpConfig = field(default_factory=lambda: SmtpConfig(mode="console"))
    mail_from: str = ""
    secret_key: str = ""
    email_pepper: str = ""
    allow_private_addresses: bool = False
    workers: int = 1
    accounts_per_address: int = 1
    instance_title: str = "fedianon"
    instance_description: str = "A campus community on the fediverse."
    contact_email: str = ""
    authorized_fetch: bool = False
    show_domain_blocks: ShowDomainBlocks = "users"
    show_domain_blocks_rationale: ShowDomainBlocks = "users"
    max_characters: int = 500
    enable_password_grant: bool = False
    bind: str = "127.0.0.1:8000"
    media_max_bytes: int = 16 * 1024 * 1024
    job_lease_seconds: int = 120
    api_rate_limit: int = 300
    blocklist_peers: tuple[str, ...] = ()
    blocklist_refresh_minutes: int = 60

    @property
    def base_url(self) -> str:
        return f"{self.scheme}://{self.domain}"

    @property
    def host(self) -> str:
        """The instance's host name without its port, lowercase ("campus.example" for
        "campus.example:8443"): what handles, blocklists and mail ids compare against."""
        return self.domain.split(":")[0].lower()

    @property
    def sign_up_open(self) -> bool:
        return bool(self.campus_domains)

    @property
    def secure_cookies(self) -> bool:
        return self.scheme == "https"

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def is_loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip("[]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def parse_domain(value: str) -> str:
    raw = value.strip().lower()
    if not raw:
        raise SettingsError(
            "FEDIANON_DOMAIN is empty: give the public host name, e.g. campus.example"
        )
    if "://" in raw or "/" in raw:
        raise SettingsError(
            f"FEDIANON_DOMAIN={value!r} must be a bare host name (and port), without scheme or path"
        )
    host, _, port = raw.partition(":")
    if port and (not port.isdigit() or not 0 < int(port) < 65536):
        raise SettingsError(f"FEDIANON_DOMAIN={value!r} has an invalid port")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST_RE.match(host):
            raise SettingsError(f"FEDIANON_DOMAIN={value!r} is not a valid host name") from None
    return raw


def parse_database_url(value: str) -> DatabaseConfig:
    raw = value.strip()
    parts = urlsplit(raw)
    if parts.scheme == "sqlite":
        path = raw[len("sqlite://") :]
        if not path:
            raise SettingsError(
                "FEDIANON_DATABASE_URL=sqlite:// needs a file path, e.g. sqlite://data/fedianon.sqlite3"
            )
        if path == ":memory:":
            return DatabaseConfig(engine="sqlite", url="sqlite://:memory:", sqlite_path=None)
        return DatabaseConfig(engine="sqlite", url=f"sqlite://{path}", sqlite_path=Path(path))
    if parts.scheme in {"postgres", "postgresql", "asyncpg"}:
        name = unquote(parts.path.lstrip("/"))
        if not parts.hostname:
            raise SettingsError(f"FEDIANON_DATABASE_URL={_mask_url(raw)} has no host name")
        if not name:
            raise SettingsError(f"FEDIANON_DATABASE_URL={_mask_url(raw)} has no database name")
        try:
            _ = parts.port
        except ValueError:
            raise SettingsError(
                f"FEDIANON_DATABASE_URL={_mask_url(raw)} has an invalid port"
            ) from None
        url = "postgres://" + raw.split("://", 1)[1]
        return DatabaseConfig(engine="postgres", url=url, postgres_name=name)
    raise SettingsError(
        f"FEDIANON_DATABASE_URL={_mask_url(raw)!s} is not supported: use sqlite://PATH or "
        "postgres://USER@HOST:PORT/DB"
    )


def parse_smtp_url(value: str) -> SmtpConfig:
    raw = value.strip()
    if raw in {"", "console"}:
        return SmtpConfig(mode="console")
    parts = urlsplit(raw)
    if parts.scheme not in {"smtp", "smtps", "smtp+starttls"} or not parts.hostname:
        raise SettingsError(
            f"FEDIANON_SMTP_URL={_mask_url(raw)} must be console, smtp://[user:pass@]host:port, "
            "smtp+starttls://... or smtps://..."
        )
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(f"FEDIANON_SMTP_URL={_mask_url(raw)} has an invalid port") from None
    mode: Literal["smtp", "smtps"] = "smtps" if parts.scheme == "smtps" else "smtp"
    return SmtpConfig(
        mode=mode,
        host=parts.hostname,
        port=port or (465 if mode == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        starttls=parts.scheme == "smtp+starttls",
    )


def parse_campus_domains(value: str) -> tuple[str, ...]:
    domains: list[str] = []
    for item in value.split(","):
        entry = item.strip().lower().lstrip("@")
        if not entry:
            continue
        try:
            entry = entry.encode("idna").decode("ascii") if not entry.isascii() else entry
        except UnicodeError:
            raise SettingsError(
                f"FEDIANON_CAMPUS_DOMAINS: {item.strip()!r} is not a valid domain"
            ) from None
        if not _CAMPUS_RE.match(entry):
            raise SettingsError(
                f"FEDIANON_CAMPUS_DOMAINS: {item.strip()!r} is not a mail domain (example: campus.example or *.campus.example)"
            )
        domains.append(entry)
    return tuple(dict.fromkeys(domains))


def _mask_url(url: str) -> str:
    return re.sub(r"//([^:/@]+):([^@]+)@", r"//\1:***@", url)


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name}={value!r} must be true or false")


def _int(name: str, value: str, minimum: int, maximum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise SettingsError(f"{name}={value!r} must be a whole number") from None
    if not minimum <= number <= maximum:
        raise SettingsError(f"{name}={number} must be between {minimum} and {maximum}")
    return number


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    lowered = value.strip().lower()
    if lowered not in choices:
        raise SettingsError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return lowered


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; `#` comments; optional quotes. Only FEDIANON_* keys are kept."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key.startswith(PREFIX):
            values[key] = value
    return values


def load_settings(
    environ: dict[str, str] | None = None,
    *,
    dotenv: Path | None = Path(".env"),
    generate_secrets: bool = False,
) -> Settings:
    """Read and validate every setting. Raises SettingsError with a one-line reason."""
    env: dict[str, str] = {}
    if dotenv is not None:
        env.update(read_dotenv(dotenv))
    env.update(
        {
            k: v
            for k, v in (os.environ if environ is None else environ).items()
            if k.startswith(PREFIX)
        }
    )

    def get(name: str, default: str = "") -> str:
        return env.get(PREFIX + name, default)

    domain = parse_domain(get("DOMAIN", "127.0.0.1:8000"))
    loopback = is_loopback_host(domain)
    scheme = _choice(
        "FEDIANON_SCHEME", get("SCHEME", "http" if loopback else "https"), ("http", "https")
    )
    if scheme == "http" and not loopback:
        raise SettingsError(
            f"FEDIANON_SCHEME=http is only allowed for a loopback FEDIANON_DOMAIN, not {domain}"
        )
    data_dir = Path(get("DATA_DIR", "data"))
    database = parse_database_url(get("DATABASE_URL", f"sqlite://{data_dir / 'fedianon.sqlite3'}"))
    mail_from = get("MAIL_FROM", f"noreply@{domain.split(':')[0]}")
    if "@" not in mail_from or any(c in mail_from for c in "\r\n<> "):
        raise SettingsError(f"FEDIANON_MAIL_FROM={mail_from!r} is not a mail address")

    secret_key = get("SECRET_KEY")
    email_pepper = get("EMAIL_PEPPER")
    if not (secret_key and email_pepper):
        stored = _stored_secrets(data_dir, generate=generate_secrets)
        secret_key = secret_key or stored.get("secret_key", "")
        email_pepper = email_pepper or stored.get("email_pepper", "")
    for name, value in (
        ("FEDIANON_SECRET_KEY", secret_key),
        ("FEDIANON_EMAIL_PEPPER", email_pepper),
    ):
        if value and len(value) < 32:
            raise SettingsError(f"{name} is too short: use at least 32 random characters")

    return Settings(
        domain=domain,
        scheme=scheme,  # type: ignore[arg-type]
        database=database,
        data_dir=data_dir,
        campus_domains=parse_campus_domains(get("CAMPUS_DOMAINS")),
        smtp=parse_smtp_url(get("SMTP_URL", "console")),
        mail_from=mail_from,
        secret_key=secret_key,
        email_pepper=email_pepper,
        allow_private_addresses=_bool(
            "FEDIANON_ALLOW_PRIVATE_ADDRESSES", get("ALLOW_PRIVATE_ADDRESSES", "false")
        ),
        workers=_int("FEDIANON_WORKERS", get("WORKERS", "1"), 0, 64),
        accounts_per_address=_int(
            "FEDIANON_ACCOUNTS_PER_ADDRESS", get("ACCOUNTS_PER_ADDRESS", "1"), 1, 100
        ),
        instance_title=get("INSTANCE_TITLE", "fedianon").strip() or "fedianon",
        instance_description=get("INSTANCE_DESCRIPTION", Settings.instance_description),
        contact_email=get("CONTACT_EMAIL", ""),
        authorized_fetch=_bool("FEDIANON_AUTHORIZED_FETCH", get("AUTHORIZED_FETCH", "false")),
        show_domain_blocks=_choice(
            "FEDIANON_SHOW_DOMAIN_BLOCKS",
            get("SHOW_DOMAIN_BLOCKS", "users"),
            ("all", "users", "disabled"),
        ),  # type: ignore[arg-type]
        show_domain_blocks_rationale=_choice(
            "FEDIANON_SHOW_DOMAIN_BLOCKS_RATIONALE",
            get("SHOW_DOMAIN_BLOCKS_RATIONALE", "users"),
            ("all", "users", "disabled"),
        ),  # type: ignore[arg-type]
        max_characters=_int("FEDIANON_MAX_CHARACTERS", get("MAX_CHARACTERS", "500"), 1, 100_000),
        enable_password_grant=_bool(
            "FEDIANON_ENABLE_PASSWORD_GRANT", get("ENABLE_PASSWORD_GRANT", "false")
        ),
        bind=get("BIND", "127.0.0.1:8000"),
        media_max_bytes=_int(
            "FEDIANON_MEDIA_MAX_BYTES", get("MEDIA_MAX_BYTES", str(16 * 1024 * 1024)), 1024, 1024**3
        ),
        blocklist_peers=tuple(
            p.strip().lower() for p in get("BLOCKLIST_PEERS").split(",") if p.strip()
        ),
        blocklist_refresh_minutes=_int(
            "FEDIANON_BLOCKLIST_REFRESH_MINUTES",
            get("BLOCKLIST_REFRESH_MINUTES", "60"),
            1,
            60 * 24 * 7,
        ),
        api_rate_limit=_int("FEDIANON_API_RATE_LIMIT", get("API_RATE_LIMIT", "300"), 1, 10_000_000),
        job_lease_seconds=_int(
            "FEDIANON_JOB_LEASE_SECONDS", get("JOB_LEASE_SECONDS", "120"), 2, 3600
        ),
    )


def _stored_secrets(data_dir: Path, *, generate: bool) -> dict[str, str]:
    path = data_dir / "secrets.json"
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SettingsError(
                f"{path} is unreadable ({exc.__class__.__name__}); fix or remove it"
            ) from None
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
        raise SettingsError(f"{path} is not a JSON object; fix or remove it")
    if not generate:
        return {}
    data_dir.mkdir(parents=True, exist_ok=True)
    data = {"secret_key": secrets.token_urlsafe(48), "email_pepper": secrets.token_urlsafe(48)}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    return data


def describe(settings: Settings) -> list[tuple[str, str]]:
    """The effective settings for `fedianon config check`, secrets masked."""

    def mask(value: str) -> str:
        return "(not set)" if not value else f"set ({len(value)} characters, hidden)"

    smtp = settings.smtp
    smtp_text = (
        "console (development: mails printed, address masked)"
        if smtp.mode == "console"
        else (
            f"{smtp.mode}://{smtp.username + ':***@' if smtp.username else ''}{smtp.host}:{smtp.port}"
            + (" (STARTTLS)" if smtp.starttls else "")
        )
    )
    return [
        ("FEDIANON_DOMAIN", settings.domain),
        ("FEDIANON_SCHEME", settings.scheme),
        ("FEDIANON_DATABASE_URL", _mask_url(settings.database.url)),
        ("FEDIANON_DATA_DIR", str(settings.data_dir)),
        ("FEDIANON_CAMPUS_DOMAINS", ", ".join(settings.campus_domains) or "(none: sign-up closed)"),
        ("FEDIANON_SMTP_URL", smtp_text),
        ("FEDIANON_MAIL_FROM", settings.mail_from),
        ("FEDIANON_SECRET_KEY", mask(settings.secret_key)),
        ("FEDIANON_EMAIL_PEPPER", mask(settings.email_pepper)),
        ("FEDIANON_ALLOW_PRIVATE_ADDRESSES", str(settings.allow_private_addresses).lower()),
        ("FEDIANON_WORKERS", str(settings.workers)),
        ("FEDIANON_ACCOUNTS_PER_ADDRESS", str(settings.accounts_per_address)),
        ("FEDIANON_AUTHORIZED_FETCH", str(settings.authorized_fetch).lower()),
        ("FEDIANON_SHOW_DOMAIN_BLOCKS", settings.show_domain_blocks),
        ("FEDIANON_MAX_CHARACTERS", str(settings.max_characters)),
        ("FEDIANON_BIND", settings.bind),
    ]
