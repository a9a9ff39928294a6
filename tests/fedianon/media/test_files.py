"""Media files on disk: random names, atomic writes, no way out of the media directory."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from fedianon.media import files
from fedianon.media.files import (
    UnsafeMediaName,
    content_type_for,
    delete,
    media_root,
    path_for,
    random_name,
    store,
)


def test_random_names_are_unique_and_spread_over_two_levels() -> None:
    names = {random_name(".jpg") for _ in range(2000)}
    assert len(names) == 2000
    for name in list(names)[:50]:
        match = re.fullmatch(r"([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{32})\.jpg", name)
        assert match is not None
        assert match.group(3).startswith(match.group(1) + match.group(2))
    assert random_name("png").endswith(".png") and random_name("WEBP").endswith(".webp")


@pytest.mark.parametrize("bad", ["", ".", "../x", "j/pg", ".jpg/../", "jp g", "x" * 20])
def test_random_name_refuses_odd_extensions(bad: str) -> None:
    with pytest.raises(ValueError):
        random_name(bad)


def test_store_writes_atomically_with_0644(tmp_path: Path) -> None:
    name = random_name(".png")
    path = store(tmp_path, name, b"first")
    assert path == (tmp_path / "media" / name).resolve()
    assert path.read_bytes() == b"first"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    store(tmp_path, name, b"second version")
    assert path.read_bytes() == b"second version"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary files left


def test_a_failed_write_leaves_neither_a_partial_file_nor_a_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = random_name(".jpg")
    store(tmp_path, name, b"old, complete")

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", failing_replace)
    with pytest.raises(OSError):
        store(tmp_path, name, b"new")
    target = path_for(tmp_path, name)
    assert target.read_bytes() == b"old, complete"
    assert [p.name for p in target.parent.iterdir()] == [target.name]


@pytest.mark.parametrize(
    "name",
    [
        "",
        "../secrets.json",
        "ab/../../secrets.json",
        "ab/cd/../../../x",
        "/etc/passwd",
        "ab\\..\\x",
        "ab//cd.jpg",
        "./ab.jpg",
        "ab/./cd.jpg",
        ".tmp-abc.part",
        "ab/cd/\x00.jpg",
        "..",
    ],
)
def test_names_that_could_escape_are_refused_everywhere(tmp_path: Path, name: str) -> None:
    (tmp_path / "secrets.json").write_text("{}")
    with pytest.raises(UnsafeMediaName):
        path_for(tmp_path, name)
    with pytest.raises(UnsafeMediaName):
        store(tmp_path, name, b"x")
    with pytest.raises(UnsafeMediaName):
        delete(tmp_path, name)
    assert (tmp_path / "secrets.json").read_text() == "{}"


def test_symlinks_out_of_the_media_dir_are_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.jpg").write_bytes(b"keep me")
    media_root(tmp_path).mkdir()
    os.symlink(outside, media_root(tmp_path) / "ab")
    with pytest.raises(UnsafeMediaName):
        delete(tmp_path, "ab/victim.jpg")
    with pytest.raises(UnsafeMediaName):
        store(tmp_path, "ab/victim.jpg", b"overwritten")
    assert (outside / "victim.jpg").read_bytes() == b"keep me"


def test_delete(tmp_path: Path) -> None:
    name = random_name(".gif")
    store(tmp_path, name, b"GIF89a")
    assert delete(tmp_path, name) is True
    assert not path_for(tmp_path, name).exists()
    assert delete(tmp_path, name) is False


def test_content_types() -> None:
    assert content_type_for("ab/cd/abcd.jpg") == "image/jpeg"
    assert content_type_for("x.JPEG") == "image/jpeg"
    assert content_type_for("x.png") == "image/png"
    assert content_type_for("x.webp") == "image/webp"
    assert content_type_for("x.gif") == "image/gif"
    assert content_type_for("x.svg") == "application/octet-stream"
    assert content_type_for("noext") == "application/octet-stream"
