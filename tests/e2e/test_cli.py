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


async def test_domains_blocklists_and_jobs_commands(workdir: Path) -> None:
    server = Instance(workdir, label="cli-domains")
    try:
        await server.start()
        blocked = server.cli(
            "domains", "block", "Bad.Example", "--severity", "suspend", "--public-comment", "spam"
        )
        assert "Blocked bad.example (suspend)" in blocked.stdout
        again = server.cli("domains", "block", "bad.example", check=False)
        assert again.returncode == 1 and "already blocked" in again.stderr
        listing = workdir / "list.csv"
        listing.write_text(
            "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\nnew.example,silence,false,false,,false\nbad.example,silence,false,false,,false\nnot a domain,suspend\n"
        )
        dry = server.cli("domains", "import", str(listing), "--dry-run")
        assert (
            "1 to add, 1 to change" in dry.stdout
            and "+ new.example (silence)" in dry.stdout
            and "line 4" in dry.stdout
        )
        assert "new.example" not in server.cli("domains", "export").stdout
        applied = server.cli("domains", "import", str(listing), "--yes")
        assert "Applied: 1 added, 1 changed" in applied.stdout
        export = server.cli("domains", "export").stdout
        assert (
            export.startswith("#domain,#severity")
            and "bad.example,silence" in export
            and "new.example,silence" in export
        )
        html = workdir / "page.html"
        html.write_text("<!doctype html><html><body>Sign in</body></html>")
        refused = server.cli("domains", "import", str(html), "--yes", check=False)
        assert refused.returncode == 1 and "HTML" in refused.stderr
        assert "Unblocked bad.example" in server.cli("domains", "unblock", "bad.example").stdout
        missing = server.cli("domains", "unblock", "bad.example", check=False)
        assert missing.returncode == 1 and "not blocked" in missing.stderr
        subscribed = server.cli(
            "blocklists",
            "subscribe",
            "https://lists.example/list.csv",
            "--auto-apply",
            "--max-severity",
            "silence",
            "--title",
            "shared",
        )
        assert "Subscribed" in subscribed.stdout
        assert "auto-apply up to silence" in server.cli("blocklists", "list").stdout
        assert "pending" in server.cli("jobs", "list").stdout
    finally:
        await server.destroy()
