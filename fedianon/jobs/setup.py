"""Imports every module that registers job handlers, so a worker knows them all."""

from __future__ import annotations


def register_all() -> None:
    """Import handler modules (their `@handler` decorators fill the registry, their
    `periodic()` calls the schedule). Idempotent."""
    import fedianon.activitypub.delivery
    import fedianon.activitypub.inbound
    import fedianon.services.domain_blocks
    import fedianon.services.subscriptions  # noqa: F401
    from fedianon.jobs import content  # noqa: F401
