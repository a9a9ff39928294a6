"""Media uploads: the image pipeline (`processing`), BlurHash (`blurhash`) and files on disk
(`files`). No database and no HTTP in here; the API layer glues them to MediaAttachment."""

from fedianon.media.blurhash import blurhash_encode
from fedianon.media.processing import (
    DEFAULT_DECODE_LIMIT_PIXELS,
    DEFAULT_MAX_PIXELS,
    PREVIEW_PIXELS,
    ProcessedImage,
    meta_with_focus,
    process_image,
)

__all__ = [
    "DEFAULT_DECODE_LIMIT_PIXELS",
    "DEFAULT_MAX_PIXELS",
    "PREVIEW_PIXELS",
    "ProcessedImage",
    "blurhash_encode",
    "meta_with_focus",
    "process_image",
]
