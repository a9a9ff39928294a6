"""Every vendored fixture parses or is refused with a reason; tricky shapes are checked."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from federation import nodeinfo, webfinger
from federation.activitystreams import (
    PUBLIC,
    Activity,
    Actor,
    Collection,
    Emoji,
    Hashtag,
    Mention,
    Note,
    ParseError,
    Tombstone,
    parse,
)
from federation.signatures import actor_uri_from_key_id
from federation.signatures.keys import decode_multikey, key_type, load_public_key

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "activitypub"
ALL_FILES = sorted(FIXTURES.rglob("*.json"))
# Not ActivityStreams documents: read by the WebFinger / NodeInfo readers instead.
NON_AS = {
    "friendica/webfinger.json",
    "gotosocial/webfinger.json",
    "mastodon/webfinger.json",
    "pleroma/webfinger.json",
    "mastodon/nodeinfo_2.0.json",
    "mastodon/well_known_nodeinfo.json",
    "mobilizon/nodeinfo_2.1.json",
}


def name_of(path: Path) -> str:
    return path.relative_to(FIXTURES).as_posix()


def load(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def doc(name: str):
    return parse(load(name))


def test_fixture_set_is_present():
    assert len(ALL_FILES) >= 100


@pytest.mark.parametrize("path", ALL_FILES, ids=name_of)
def test_every_fixture_parses_or_is_refused_with_a_reason(path):
    try:
        result = parse(json.loads(path.read_text(encoding="utf-8")))
    except ParseError as exc:
        assert exc.reason.strip()
        assert name_of(path) in NON_AS, f"unexpectedly refused: {exc.reason}"
        assert exc.reason == "missing 'type'"
    else:
        assert name_of(path) not in NON_AS
        assert result.raw is not None


# --- targeted shapes ---


def test_mastodon_flag_object_list_and_string_to():
    flag = doc("mastodon/flag.json")
    assert isinstance(flag, Activity) and flag.type == "Flag"
    assert [o.id for o in flag.objects] == [
        "https://example.com/users/1",
        "https://example.com/posts/380590",
        "https://example.com/posts/380591",
    ]
    assert flag.object_id == "https://example.com/users/1"
    assert flag.to == ("https://example.com/users/1",)
    assert flag.content == "Please take a look at this user and their posts"


def test_gotosocial_flag_without_to():
    flag = doc("gotosocial/flag.json")
    assert len(flag.objects) == 2 and flag.to == ()


def test_kroeg_announce_inline_actor():
    announce = doc("kroeg/announce_inline_actor.json")
    assert announce.actor.embedded
    actor = announce.actor.value
    assert isinstance(actor, Actor)
    assert actor.id == announce.actor_id == "https://puckipedia.com/"
    assert actor.shared_inbox is None  # endpoints is a bare URL string here
    assert actor.public_key.owner == "https://puckipedia.com/"
    note = announce.object.value
    assert isinstance(note, Note)
    assert note.attributed_to == "http://mastodon.example.org/users/admin"  # embedded actor
    assert note.to == (PUBLIC,)
    assert note.cc == ("http://mastodon.example.org/users/admin/followers",)
    assert note.sensitive is False  # given as "as:sensitive"
    assert announce.to == (PUBLIC, "https://puckipedia.com/followers")
    assert actor.updated == datetime(2017, 12, 19, 16, 56, 29, 757670, tzinfo=UTC)


def test_peertube_video_url_list_attributed_to_list_and_markdown():
    video = doc("peertube/video.json")
    assert isinstance(video, Note) and video.type == "Video" and video.known
    assert video.url == "https://tilvids.com/videos/watch/e7946124-7b72-4ad7-9d22-844a84bb2de1"
    assert video.attributed_to == "https://tilvids.com/accounts/thelinuxexperiment"
    assert video.media_type == "text/markdown"
    assert video.name.startswith("Mesa, Wayland")
    assert video.published == datetime(2025, 2, 1, 11, 59, 45, 94000, tzinfo=UTC)


def test_peertube_person_icon_list():
    person = doc("peertube/person.json")
    assert person.icon is not None and person.icon.url.endswith(".jpg")
    assert person.shared_inbox == "https://tilvids.com/inbox"


def test_owncast_service_single_attachment_object():
    actor = doc("owncast/service_actor.json")
    assert isinstance(actor, Actor) and actor.type == "Service" and actor.bot
    assert [f.name for f in actor.fields] == ["Stream"]
    assert actor.tags == (
        Hashtag("#owncast", "https://directory.owncast.online/tags/owncast"),
        Hashtag("#streaming", "https://directory.owncast.online/tags/streaming"),
    )
    assert actor.published == datetime(2022, 5, 22, 18, 44, 57, tzinfo=UTC)  # ".00Z"


def test_takahe_single_attachment_and_compact_discoverable():
    actor = doc("takahe/person.json")
    assert [f.name for f in actor.fields] == ["More details"]
    assert actor.discoverable is True  # "toot:discoverable"


def test_undo_like_compact_vs_embedded():
    compact = doc("mastodon/undo_like_compact_object.json")
    assert compact.object.id == "http://mastodon.example.org/users/admin#likes/2"
    assert not compact.object.embedded
    full = doc("mastodon/undo_like.json")
    like = full.object.value
    assert isinstance(like, Activity) and like.type == "Like"
    assert like.object_id.startswith("http://localtesting.pleroma.lol/objects/")


def test_announce_by_id_vs_inline_object():
    assert not doc("mastodon/announce.json").object.embedded
    inline = doc("mastodon/announce_private_inline_object.json")
    assert isinstance(inline.object.value, Note)


def test_delete_actor_self():
    delete = doc("mastodon/delete_actor_self.json")
    actor = delete.object.value
    assert isinstance(actor, Actor)
    assert actor.id == delete.actor_id
    assert actor.inbox is None  # a stub: no inbox, no keys


def test_delete_with_tombstone():
    delete = doc("mastodon/delete_note_tombstone.json")
    assert isinstance(delete.object.value, Tombstone)
    assert isinstance(doc("lemmy/tombstone.json"), Tombstone)


def test_pleroma_source_string_and_sensitive_null():
    note = doc("pleroma/note.json")
    assert note.source.content == "@popolon@pleroma.popolon.org Have what?"
    assert note.source.media_type is None
    assert note.sensitive is False
    assert note.summary == ""
    assert note.tags == (
        Mention("https://pleroma.popolon.org/users/popolon", "@popolon@pleroma.popolon.org"),
    )
    assert note.published == datetime(2021, 10, 7, 18, 6, 52, 555500, tzinfo=UTC)
    assert doc("pleroma/note_source_string_sensitive_null.json").sensitive is False


def test_akkoma_misskey_markdown_source_and_content_map():
    note = doc("akkoma/note_mfm_source.json")
    assert note.source.media_type == "text/x.misskeymarkdown"
    assert note.language == "ja"


def test_mastodon_question_options():
    create = doc("mastodon/create_question.json")
    question = create.object.value
    assert question.type == "Question"
    poll = question.poll
    assert [(o.name, o.votes) for o in poll.options] == [
        ("Dunno", 0),
        ("Everyone knows that!", 1),
        ("25 char limit is dumb", 0),
        ("I can't even fit a funny", 1),
    ]
    assert not poll.multiple and not poll.closed
    assert poll.end_time == datetime(2019, 5, 11, 9, 3, 36, tzinfo=UTC)
    assert question.language == "en"
    assert question.summary is None and question.in_reply_to is None


def test_misskey_question_without_end_date():
    question = doc("misskey/question_no_end_date.json")
    assert question.poll.end_time is None
    assert [o.name for o in question.poll.options] == ["Working", "Broken af"]


def test_poll_vote_is_a_note_with_a_name():
    vote = doc("mastodon/create_poll_vote.json").object.value
    assert isinstance(vote, Note)
    assert vote.name == "suya.." and vote.content is None
    assert vote.in_reply_to.startswith("https://testing.uguu.ltd/objects/")


def test_mitra_multikey_actor():
    actor = doc("mitra/person_multikey.json")
    assert actor.public_key.id == "https://wizard.casa/users/hongminhee#main-key"
    assert len(actor.assertion_methods) == 2
    rsa_key = decode_multikey(actor.assertion_methods[0].multibase)
    assert key_type(rsa_key) == "rsa"
    assert rsa_key.public_numbers() == load_public_key(actor.public_key.pem).public_numbers()
    ed = actor.key("https://wizard.casa/users/hongminhee#ed25519-key")
    assert key_type(decode_multikey(ed.multibase)) == "ed25519"


@pytest.mark.parametrize("name", ["gotosocial/person.json", "gotosocial/application_bot.json"])
def test_gotosocial_main_key_path(name):
    actor = doc(name)
    assert actor.public_key.id == f"{actor.id}/main-key"
    assert actor_uri_from_key_id(actor.public_key.id) == actor.id
    assert actor.public_key.owner == actor.id


def test_gotosocial_moved_and_aliased():
    actor = doc("gotosocial/person_moved_aliased.json")
    assert actor.moved_to == "http://localhost:8080/users/1happyturtle"
    assert actor.also_known_as == ("http://localhost:8080/users/1happyturtle",)


def test_invalid_also_known_as_is_ignored():
    assert doc("microblogpub/person_invalid_also_known_as.json").also_known_as == ()


def test_funkwhale_audio_url_links_with_mime_type_and_string_to():
    audio = doc("funkwhale/create_audio.json").object.value
    assert audio.type == "Audio"
    assert audio.url == "https://channels.tests.funkwhale.audio/library/tracks/74"
    assert audio.to == (PUBLIC,)
    assert audio.published == datetime(2020, 3, 11, 10, 1, 52, 714918, tzinfo=UTC)  # +00:00
    assert [t.name for t in audio.tags] == ["#funkwhale", "#test", "#tests"]


def test_lotide_string_addressing():
    create = doc("lotide/create_page.json")
    assert create.to == ("https://c.tide.tk/communities/1",)
    assert create.cc == (PUBLIC,)
    assert create.object.value.type == "Page"


def test_album_is_a_note_of_an_unknown_type():
    album = doc("bandwagon/album.json")
    assert isinstance(album, Note) and album.type == "Album" and not album.known


def test_lemmy_outbox_announces_embedded_creates():
    outbox = doc("lemmy/group_outbox.json")
    assert isinstance(outbox, Collection) and outbox.ordered and outbox.total_items == 2
    announce = outbox.items[0].value
    assert announce.type == "Announce"
    assert announce.object.value.type == "Create"
    assert announce.object.value.object.value.name == "another outbox test"


def test_followers_page():
    page = doc("mastodon/followers_collection_page.json")
    assert page.is_page and page.total_items == 437
    assert page.next.endswith("page=2") and page.part_of.endswith("/followers")
    assert page.items[0].id == "https://testing.uguu.ltd/users/rin"


def test_reactions():
    react = doc("pleroma/emoji_react.json")
    assert react.type == "EmojiReact" and react.known and react.content == "👌"
    like = doc("misskey/like_custom_emoji_reaction.json")
    assert like.content == ":hanapog:"
    assert isinstance(like.tags[0], Emoji) and like.tags[0].icon_url.startswith("https://")


def test_unknown_activity_inside_undo_and_dislike():
    undo = doc("friendica/undo_dislike.json")
    assert undo.object.value.type == "Dislike"
    assert doc("lemmy/dislike_page.json").known


def test_wordpress_announce_of_update():
    update = doc("wordpress/announce_update_article.json").object.value
    assert update.type == "Update"
    assert update.object.value.type == "Article"


def test_actor_key_is_the_actor_itself_hubzilla():
    actor = doc("hubzilla/person_ld_signature.json")
    assert actor.public_key.id == actor.id
    assert actor.shared_inbox == "https://hub.somaton.com/inbox"


def test_misskey_top_level_shared_inbox_and_no_context():
    assert doc("misskey/person.json").shared_inbox == "https://misskey.io/inbox"
    assert doc("misskey/note_mfm_no_context.json").type == "Note"


def test_event_and_offset_dates():
    event = doc("gancio/create_event.json").object.value
    assert event.type == "Event"
    assert event.published == datetime(2021, 7, 1, 22, 33, 36, tzinfo=UTC)
    note = doc("lemmy/page_post.json")
    assert note.attachments[0].url.endswith(".png")


# --- WebFinger and NodeInfo fixtures through their readers ---


@pytest.mark.parametrize(
    ("name", "actor"),
    [
        ("mastodon/webfinger.json", "https://social.tcit.fr/users/tcit"),
        ("gotosocial/webfinger.json", "http://localhost:8080/users/the_mighty_zork"),
        ("friendica/webfinger.json", "https://squeet.me/profile/lain"),
    ],
)
def test_webfinger_fixtures(name, actor):
    jrd = webfinger.parse_jrd(load(name))
    assert jrd.actor_url == actor
    assert jrd.subject.startswith("acct:")


def test_pleroma_webfinger_fixture():
    jrd = webfinger.parse_jrd(load("pleroma/webfinger.json"))
    assert jrd.actor_url is not None and jrd.actor_url.startswith("http")


def test_nodeinfo_fixtures():
    discovery = load("mastodon/well_known_nodeinfo.json")
    assert nodeinfo.pick_nodeinfo_url(discovery) == "https://mastodon.example.org/nodeinfo/2.0"
    mastodon = nodeinfo.parse_nodeinfo(load("mastodon/nodeinfo_2.0.json"))
    assert (mastodon.software_name, mastodon.software_version) == ("mastodon", "4.1.0")
    assert mastodon.users_total == 971090 and mastodon.local_posts == 52071541
    mobilizon = nodeinfo.parse_nodeinfo(load("mobilizon/nodeinfo_2.1.json"))
    assert (mobilizon.software_name, mobilizon.software_version) == ("mobilizon", "5.1.0")
    assert mobilizon.protocols == ("activitypub",) and mobilizon.open_registrations is True
