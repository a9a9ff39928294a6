"""Filters over HTTP (in-process): v2 CRUD with keywords and statuses, the v1 view, bad
input, and what filters do: `warn` fills `filtered`, `hide` removes the status from home,
public, thread and notifications when its context says so."""

from __future__ import annotations

from datetime import timedelta

import httpx

from fedianon.models.timelines import Filter, FilterKeyword
from fedianon.services.filters import keyword_pattern
from fedianon.settings import Settings
from fedianon.timeutil import utcnow
from tests.support.factories import User, make_user


async def _post(client: httpx.AsyncClient, user: User, text: str, **extra: str) -> str:
    response = await client.post(
        "/api/v1/statuses", headers=user.headers, data={"status": text, **extra}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


async def _filter(client: httpx.AsyncClient, user: User, **body: object) -> dict:  # type: ignore[type-arg]
    response = await client.post("/api/v2/filters", headers=user.headers, json=body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _by_id(items: list[dict]) -> dict[str, dict]:  # type: ignore[type-arg]
    return {item["id"]: item for item in items}


async def test_v2_crud_with_form_keywords(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    # The form encoding from Mastodon's docs: a repeated key starts a new keyword.
    created = await client.post(
        "/api/v2/filters",
        headers={**alice.headers, "Content-Type": "application/x-www-form-urlencoded"},
        content=(
            "title=test&context[]=public&context[]=home"
            "&keywords_attributes[][keyword]=foo&keywords_attributes[][whole_word]=false"
            "&keywords_attributes[][keyword]=bar&keywords_attributes[][whole_word]=true"
        ),
    )
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["title"] == "test" and body["context"] == ["public", "home"]
    assert body["filter_action"] == "warn" and body["expires_at"] is None
    assert [(k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        ("foo", False),
        ("bar", True),
    ]
    assert body["statuses"] == []
    foo, bar = body["keywords"]
    # Update: drop foo, rename bar, add baz, change action and expiry.
    updated = await client.put(
        f"/api/v2/filters/{body['id']}",
        headers=alice.headers,
        json={
            "filter_action": "hide",
            "expires_in": 3600,
            "keywords_attributes": [
                {"id": foo["id"], "_destroy": True},
                {"id": bar["id"], "keyword": "qux"},
                {"keyword": "baz", "whole_word": False},
            ],
        },
    )
    assert updated.status_code == 200, updated.text
    after = updated.json()
    assert after["filter_action"] == "hide" and after["expires_at"] is not None
    assert [(k["keyword"], k["whole_word"]) for k in after["keywords"]] == [
        ("qux", True),
        ("baz", False),
    ]
    cleared = await client.put(
        f"/api/v2/filters/{body['id']}", headers=alice.headers, json={"expires_in": None}
    )
    assert cleared.json()["expires_at"] is None
    assert [
        f["id"] for f in (await client.get("/api/v2/filters", headers=alice.headers)).json()
    ] == [body["id"]]
    assert (await client.get(f"/api/v2/filters/{body['id']}", headers=alice.headers)).json()[
        "title"
    ] == "test"

    # Keywords on their own.
    keywords_path = f"/api/v2/filters/{body['id']}/keywords"
    added = await client.post(keywords_path, headers=alice.headers, data={"keyword": "quux"})
    assert added.json()["keyword"] == "quux" and added.json()["whole_word"] is True
    assert [
        k["keyword"] for k in (await client.get(keywords_path, headers=alice.headers)).json()
    ] == [
        "qux",
        "baz",
        "quux",
    ]
    one = f"/api/v2/filters/keywords/{added.json()['id']}"
    changed = await client.put(
        one, headers=alice.headers, data={"keyword": "corge", "whole_word": "false"}
    )
    assert changed.json() == {"id": added.json()["id"], "keyword": "corge", "whole_word": False}
    assert (await client.get(one, headers=alice.headers)).json()["keyword"] == "corge"
    assert (await client.delete(one, headers=alice.headers)).json() == {}
    assert (await client.get(one, headers=alice.headers)).status_code == 404

    # Statuses.
    bob = await make_user(settings, "bob")
    post = await _post(client, bob, "a post to filter")
    statuses_path = f"/api/v2/filters/{body['id']}/statuses"
    status_rule = await client.post(statuses_path, headers=alice.headers, data={"status_id": post})
    assert status_rule.status_code == 200 and status_rule.json()["status_id"] == post
    assert (await client.get(statuses_path, headers=alice.headers)).json() == [status_rule.json()]
    rule_path = f"/api/v2/filters/statuses/{status_rule.json()['id']}"
    assert (await client.get(rule_path, headers=alice.headers)).json() == status_rule.json()
    assert (await client.delete(rule_path, headers=alice.headers)).json() == {}
    assert (await client.get(statuses_path, headers=alice.headers)).json() == []

    assert (
        await client.delete(f"/api/v2/filters/{body['id']}", headers=alice.headers)
    ).json() == {}
    assert (await client.get("/api/v2/filters", headers=alice.headers)).json() == []
    assert await FilterKeyword.all().count() == 0


async def test_bad_filter_input(client: httpx.AsyncClient, settings: Settings) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    no_keyword = await client.post(
        "/api/v2/filters", headers=alice.headers, json={"title": "empty", "context": ["home"]}
    )
    assert no_keyword.status_code == 422
    assert no_keyword.json()["error"].startswith("Validation failed:")
    assert "at least one keyword" in no_keyword.json()["error"]
    blank_keyword = await client.post(
        "/api/v2/filters",
        headers=alice.headers,
        json={"title": "x", "context": ["home"], "keywords_attributes": [{"keyword": " "}]},
    )
    assert (
        blank_keyword.status_code == 422
        and "Keyword can't be blank" in blank_keyword.json()["error"]
    )
    nothing = await client.post("/api/v2/filters", headers=alice.headers, json={})
    assert nothing.status_code == 422
    assert "Title can't be blank" in nothing.json()["error"]
    assert "Context can't be blank" in nothing.json()["error"]
    bad_context = await client.post(
        "/api/v2/filters",
        headers=alice.headers,
        json={"title": "x", "context": ["everywhere"], "keywords_attributes": [{"keyword": "a"}]},
    )
    assert bad_context.status_code == 422 and "Context" in bad_context.json()["error"]
    bad_action = await client.post(
        "/api/v2/filters",
        headers=alice.headers,
        json={
            "title": "x",
            "context": ["home"],
            "filter_action": "explode",
            "keywords_attributes": [{"keyword": "a"}],
        },
    )
    assert bad_action.status_code == 422
    bad_shape = await client.post(
        "/api/v2/filters",
        headers=alice.headers,
        json={"title": "x", "context": ["home"], "keywords_attributes": "a"},
    )
    assert bad_shape.status_code == 422
    assert await Filter.all().count() == 0 and await FilterKeyword.all().count() == 0

    mine = await _filter(
        client, alice, title="mine", context=["home"], keywords_attributes=[{"keyword": "a"}]
    )
    for path in (
        f"/api/v2/filters/{mine['id']}",
        f"/api/v2/filters/keywords/{mine['keywords'][0]['id']}",
    ):
        assert (await client.get(path, headers=bob.headers)).status_code == 404
    foreign_keyword = await client.put(
        f"/api/v2/filters/{mine['id']}",
        headers=alice.headers,
        json={"keywords_attributes": [{"id": "1", "_destroy": True}]},
    )
    assert foreign_keyword.status_code == 404
    unknown_status = await client.post(
        f"/api/v2/filters/{mine['id']}/statuses", headers=alice.headers, data={"status_id": "99"}
    )
    assert unknown_status.status_code == 404
    blank = await client.post(
        f"/api/v2/filters/{mine['id']}/keywords", headers=alice.headers, data={"keyword": ""}
    )
    assert blank.status_code == 422
    assert [
        k["keyword"]
        for k in (
            await client.get(f"/api/v2/filters/{mine['id']}/keywords", headers=alice.headers)
        ).json()
    ] == ["a"]


async def test_warn_and_hide_on_home_public_thread_and_notifications(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    # A thread by bob (self-replies show on public timelines too), mentioning alice.
    root = await _post(client, bob, "a thread about exams")
    spoiler = await _post(
        client, bob, "@alice boring", spoiler_text="Spoilers ahead", in_reply_to_id=root
    )
    hidden = await _post(client, bob, "@alice the <b>secret</b> plan", in_reply_to_id=root)
    plain = await _post(client, bob, "@alice nothing to see", in_reply_to_id=root)
    warn = await _filter(
        client,
        alice,
        title="Spoilers",
        context=["home", "public", "thread", "notifications"],
        filter_action="warn",
        keywords_attributes=[{"keyword": "spoilers", "whole_word": True}],
    )
    hide = await _filter(
        client,
        alice,
        title="Secrets",
        context=["home", "public", "thread", "notifications"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "SECRET", "whole_word": True}],
    )

    async def statuses(path: str) -> dict[str, dict]:  # type: ignore[type-arg]
        response = await client.get(path, headers=alice.headers, params={"limit": 40})
        assert response.status_code == 200, response.text
        return _by_id(response.json())

    for path in ("/api/v1/timelines/home", "/api/v1/timelines/public"):
        seen = await statuses(path)
        assert hidden not in seen, path
        assert {spoiler, plain} <= set(seen), path
        result = seen[spoiler]["filtered"]
        assert [r["filter"]["id"] for r in result] == [warn["id"]]
        assert result[0]["keyword_matches"] == ["spoilers"] and result[0]["status_matches"] is None
        assert result[0]["filter"]["filter_action"] == "warn"
        assert seen[plain]["filtered"] == []

    context = (await client.get(f"/api/v1/statuses/{root}/context", headers=alice.headers)).json()
    descendants = _by_id(context["descendants"])
    assert hidden not in descendants and {spoiler, plain} <= set(descendants)
    assert descendants[spoiler]["filtered"][0]["filter"]["title"] == "Spoilers"

    notes = (await client.get("/api/v1/notifications", headers=alice.headers)).json()
    mention_statuses = [n["status"]["id"] for n in notes if n["type"] == "mention"]
    assert plain in mention_statuses and hidden not in mention_statuses

    # Asked for by id, a hidden status is still shown, with its filter result.
    direct = (await client.get(f"/api/v1/statuses/{hidden}", headers=alice.headers)).json()
    assert [r["filter"]["id"] for r in direct["filtered"]] == [hide["id"]]
    # Saved and searched-for statuses stay listed, with their filter result.
    await client.post(f"/api/v1/statuses/{hidden}/bookmark", headers=alice.headers)
    bookmarks = _by_id((await client.get("/api/v1/bookmarks", headers=alice.headers)).json())
    assert [r["filter"]["id"] for r in bookmarks[hidden]["filtered"]] == [hide["id"]]
    # The author never sees their own posts filtered.
    own = (await client.get("/api/v1/timelines/home", headers=bob.headers)).json()
    assert hidden in [s["id"] for s in own]
    # Filters are per reader: bob has none.
    assert all(s["filtered"] == [] for s in own)


async def test_hide_applies_only_in_its_contexts_and_status_rules(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    await client.post(f"/api/v1/accounts/{bob.account.id}/follow", headers=alice.headers)
    post = await _post(client, bob, "cats are great")
    other = await _post(client, bob, "dogs too")
    cats = await _filter(
        client,
        alice,
        title="Cats",
        context=["public"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "cat", "whole_word": False}],
    )
    home = _by_id((await client.get("/api/v1/timelines/home", headers=alice.headers)).json())
    assert post in home  # the filter is for public timelines only...
    assert [r["filter"]["id"] for r in home[post]["filtered"]] == [cats["id"]]  # ...clients see it
    public = _by_id((await client.get("/api/v1/timelines/public", headers=alice.headers)).json())
    assert post not in public and other in public
    # A status rule hides that status (and boosts of it).
    rule = await client.post(
        f"/api/v2/filters/{cats['id']}/statuses", headers=alice.headers, data={"status_id": other}
    )
    assert rule.status_code == 200
    carol = await make_user(settings, "carol")
    await client.post(f"/api/v1/statuses/{other}/reblog", headers=carol.headers)
    public = _by_id((await client.get("/api/v1/timelines/public", headers=alice.headers)).json())
    assert other not in public
    account = (
        await client.get(f"/api/v1/accounts/{carol.account.id}/statuses", headers=alice.headers)
    ).json()
    boost = account[0]
    assert boost["reblog"]["id"] == other
    assert boost["filtered"][0]["status_matches"] == [other]
    # An expired filter does nothing.
    await Filter.filter(id=int(cats["id"])).update(expires_at=utcnow() - timedelta(minutes=1))
    public = _by_id((await client.get("/api/v1/timelines/public", headers=alice.headers)).json())
    assert {post, other} <= set(public) and public[post]["filtered"] == []


def test_keyword_matching_rules() -> None:
    whole = keyword_pattern("cat", True)
    assert whole.search("A Cat!") and not whole.search("concatenate")
    partial = keyword_pattern("cat", False)
    assert partial.search("concatenate")
    tag = keyword_pattern("#exams", True)
    assert tag.search("so many #exams today") and not tag.search("#examsweek")
    plus = keyword_pattern("c++", True)
    assert plus.search("I write C++ daily") and not plus.search("abc++")
    unicode = keyword_pattern("über", True)
    assert unicode.search("Das ist ÜBER alles") and not unicode.search("überall")


async def test_v1_view(client: httpx.AsyncClient, settings: Settings) -> None:
    alice = await make_user(settings, "alice")
    assert (await client.get("/api/v1/filters", headers=alice.headers)).json() == []
    created = await client.post(
        "/api/v1/filters",
        headers=alice.headers,
        data={"phrase": "exam", "context[]": ["home", "public"], "irreversible": "true"},
    )
    assert created.status_code == 200, created.text
    v1 = created.json()
    assert v1 == {
        "id": v1["id"],
        "phrase": "exam",
        "context": ["home", "public"],
        "whole_word": True,
        "expires_at": None,
        "irreversible": True,
    }
    v2 = (await client.get("/api/v2/filters", headers=alice.headers)).json()
    assert v2[0]["title"] == "exam" and v2[0]["filter_action"] == "hide"
    assert v2[0]["keywords"][0]["id"] == v1["id"]
    # A v2 filter with two keywords shows as two v1 filters.
    await _filter(
        client,
        alice,
        title="two",
        context=["thread"],
        keywords_attributes=[{"keyword": "one"}, {"keyword": "two", "whole_word": False}],
    )
    listed = (await client.get("/api/v1/filters", headers=alice.headers)).json()
    assert [(f["phrase"], f["irreversible"]) for f in listed] == [
        ("exam", True),
        ("one", False),
        ("two", False),
    ]
    changed = await client.put(
        f"/api/v1/filters/{v1['id']}",
        headers=alice.headers,
        data={"phrase": "exams", "context[]": "home", "irreversible": "false"},
    )
    assert changed.json()["phrase"] == "exams" and changed.json()["context"] == ["home"]
    assert changed.json()["irreversible"] is False
    two = listed[2]
    refused = await client.put(
        f"/api/v1/filters/{two['id']}", headers=alice.headers, data={"context[]": "home"}
    )
    assert refused.status_code == 422
    assert (await client.get(f"/api/v1/filters/{two['id']}", headers=alice.headers)).json()[
        "context"
    ] == ["thread"]
    missing_phrase = await client.post(
        "/api/v1/filters", headers=alice.headers, data={"context[]": "home"}
    )
    assert missing_phrase.status_code == 422
    assert (await client.delete(f"/api/v1/filters/{v1['id']}", headers=alice.headers)).json() == {}
    assert [
        f["phrase"] for f in (await client.get("/api/v1/filters", headers=alice.headers)).json()
    ] == [
        "one",
        "two",
    ]
    assert await Filter.all().count() == 1  # the emptied filter went with its last keyword


async def test_keywords_match_media_descriptions_and_poll_options(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from tests.fedianon.media.images import blank_png

    alice, bob = await make_user(settings, "alice"), await make_user(settings, "bob")
    uploaded = await client.post(
        "/api/v2/media",
        headers=bob.headers,
        files={"file": ("cat.png", blank_png(8, 8), "image/png")},
        data={"description": "a sleepy Cat on a desk"},
    )
    assert uploaded.status_code in (200, 202), uploaded.text
    with_media = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        data={"status": "look at this", "media_ids[]": uploaded.json()["id"]},
    )
    with_poll = await client.post(
        "/api/v1/statuses",
        headers=bob.headers,
        json={"status": "favourite pet?", "poll": {"options": ["cat", "dog"], "expires_in": 3600}},
    )
    plain = await _post(client, bob, "nothing about pets")
    assert with_media.status_code == 200 and with_poll.status_code == 200, with_poll.text
    await _filter(
        client,
        alice,
        title="Cats",
        context=["public"],
        filter_action="hide",
        keywords_attributes=[{"keyword": "cat"}],
    )
    public = _by_id((await client.get("/api/v1/timelines/public", headers=alice.headers)).json())
    assert set(public) == {plain}
