"""Media files on disk, under `data_dir / "media"`.

Names are random (nothing of the uploader's file name survives, DESIGN.md section 3) and
spread over two directory levels, `ab/cd/abcd...jpg`, so no directory grows huge. Every
function that takes a name refuses one that could point outside the media directory.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import tempfile
from pathlib import Path, PurePosixPath

__all__ = [
    "CONTENT_TYPES",
    "UnsafeMediaName",
    "content_type_for",
    "delete",
    "media_root",
    "path_for",
    "random_name",
    "store",
]

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
_EXTENSION = re.compile(r"\.?[a-z0-9]{1,10}")
_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class UnsafeMediaName(ValueError):
    """A media name that is absolute, contains `..`, or otherwise leaves the media dir."""


def media_root(data_dir: Path) -> Path:
    return Path(data_dir) / "media"


def random_name(extension: str) -> str:
    """A fresh name such as `3f/a2/3fa2...e1.jpg`: 128 random bits in hex, the first two
    byte pairs as directories. `extension` may be given with or without its dot."""
    ext = extension.lower()
    if not _EXTENSION.fullmatch(ext):
        raise ValueError(f"unsupported file extension {extension!r}")
    if not ext.startswith("."):
        ext = "." + ext
    token = secrets.token_hex(16)
    return f"{token[:2]}/{token[2:4]}/{token}{ext}"


def path_for(data_dir: Path, name: str) -> Path:
    """The file's path under the media dir. Raises UnsafeMediaName for any name that is not a
    plain relative path of ordinary parts, or that resolves (through symlinks) outside it."""
    if not name or "\x00" in name or "\\" in name:
        raise UnsafeMediaName("unsafe media file name")
    pure = PurePosixPath(name)
    if pure.is_absolute() or name.startswith("/"):
        raise UnsafeMediaName("unsafe media file name")
    parts = name.split("/")
    if any(part in ("", ".", "..") or not _NAME_PART.fullmatch(part) for part in parts):
        raise UnsafeMediaName("unsafe media file name")
    root = media_root(data_dir).resolve()
    target = (root / Path(*parts)).resolve()
    if not target.is_relative_to(root) or target == root:
        raise UnsafeMediaName("unsafe media file name")
    return target


def store(data_dir: Path, name: str, data: bytes) -> Path:
    """Write `data` at `name` atomically: a temporary file in the same directory, fsynced,
    mode 0644, then renamed over the destination. Readers never see a partial file."""
    target = path_for(data_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
    return target


def delete(data_dir: Path, name: str) -> bool:
    """Remove the file; True if it existed. Never touches anything outside the media dir."""
    target = path_for(data_dir, name)
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    return True


def content_type_for(name: str) -> str:
    """The content type to serve a stored file with, from its extension."""
    return CONTENT_TYPES.get(PurePosixPath(name).suffix.lower(), "application/octet-stream")


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
