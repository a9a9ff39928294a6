"""The `fedianon` command as an admin uses it, against real databases."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.servers import Instance


async def test_migrate_create_modify_and_config_check(workdir: Path) -> None:
    server = Instance(workdir, label="cli")
    try:
        await server.start()
        again = server.cli("migrate")
        assert "up to date" in again.stdout
        created = server.cli(
            "accounts",
            "create",
            "Campus_Admin",
            "--role",
            "admin",
            "--password-stdin",
            stdin="an admin password\n",
        )
        assert "Created @campus_admin@" in created.stdout and "admin" in created.stdout
        dup = server.cli(
            "accounts",
            "create",
            "campus_admin",
            "--password-stdin",
            stdin="another password\n",
            check=False,
        )
        assert (
            dup.returncode == 1 and "already taken" in dup.stderr and "Traceback" not in dup.stderr
        )
        bad = server.cli(
            "accounts",
            "create",
            "bad-handle!",
            "--password-stdin",
            stdin="long enough pw\n",
            check=False,
        )
        assert bad.returncode == 1 and "may only contain" in bad.stderr
        weak = server.cli(
            "accounts", "create", "weakling", "--password-stdin", stdin="short\n", check=False
        )
        assert weak.returncode == 1 and "too short" in weak.stderr

        # The admin can use the account at once: sign in through the web form.
        async with httpx.AsyncClient(base_url=server.base_url) as http:
            page = await http.get("/auth/sign_in")
            import re

            csrf = re.search(r'name="authenticity_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            ok = await http.post(
                "/auth/sign_in",
                data={
                    "handle": "campus_admin",
                    "password": "an admin password",
                    "authenticity_token": csrf,
                },
            )
            assert ok.status_code == 303
            assert "Admin" in (await http.get("/")).text

        modified = server.cli(
            "accounts", "modify", "campus_admin", "--role", "moderator", "--suspend"
        )
        assert "role moderator, suspended" in modified.stdout
        restored = server.cli(
            "accounts", "modify", "campus_admin", "--unsuspend", "--role", "admin"
        )
        assert "role admin, active" in restored.stdout
        missing = server.cli("accounts", "modify", "nobody_here", "--suspend", check=False)
        assert missing.returncode == 1 and "No local account" in missing.stderr

        check = server.cli("config", "check")
        assert "Configuration OK." in check.stdout and "FEDIANON_EMAIL_PEPPER" in check.stdout
        assert "hidden" in check.stdout
    finally:
        await server.destroy()


def test_bad_settings_stop_start_up_with_one_line(workdir: Path) -> None:
    server = Instance(
        workdir, label="bad", env={"FEDIANON_DATABASE_URL": "mysql://root@localhost/x"}
    )
    server.database_url = "mysql://root@localhost/x"
    for command in (["config", "check"], ["migrate"], ["serve"]):
        result = server.cli(*command, check=False)
        assert result.returncode == 2
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "FEDIANON_DATABASE_URL" in lines[0], result.stderr
    server.extra_env = {"FEDIANON_DOMAIN": "https://x.example/"}
    result = server.cli("serve", check=False)
    assert (
        result.returncode == 2
        and "FEDIANON_DOMAIN" in result.stderr
        and "Traceback" not in result.stderr
    )


def test_unreachable_database_is_one_clear_line(workdir: Path) -> None:
    server = Instance(workdir, label="down")
    server.database_url = "postgres://postgres@127.0.0.1:1/nothing"
    result = server.cli("migrate", check=False)
    assert result.returncode == 1
    assert "cannot reach the database" in result.stderr and "Traceback" not in result.stderr
