"""Tortoise models, one module per domain. `MODEL_MODULES` is what Tortoise loads."""

MODEL_MODULES = [
    "fedianon.models.accounts",
    "fedianon.models.oauth",
    "fedianon.models.statuses",
    "fedianon.models.media",
    "fedianon.models.social",
    "fedianon.models.timelines",
    "fedianon.models.federation",
    "fedianon.models.moderation",
]
