"""The URLs of local things, in one place. Paths follow Mastodon's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LocalUrls:
    base: str  # scheme://domain

    def actor(self, handle: str) -> str:
        return f"{self.base}/users/{handle}"

    def key_id(self, handle: str) -> str:
        return f"{self.actor(handle)}#main-key"

    def profile(self, handle: str) -> str:
        return f"{self.base}/@{handle}"

    def inbox(self, handle: str) -> str:
        return f"{self.actor(handle)}/inbox"

    def outbox(self, handle: str) -> str:
        return f"{self.actor(handle)}/outbox"

    def followers(self, handle: str) -> str:
        return f"{self.actor(handle)}/followers"

    def following(self, handle: str) -> str:
        return f"{self.actor(handle)}/following"

    def featured(self, handle: str) -> str:
        return f"{self.actor(handle)}/collections/featured"

    def status(self, handle: str, status_id: int) -> str:
        return f"{self.actor(handle)}/statuses/{status_id}"

    def status_page(self, handle: str, status_id: int) -> str:
        return f"{self.profile(handle)}/{status_id}"

    def activity(self, handle: str, status_id: int, kind: str = "activity") -> str:
        return f"{self.status(handle, status_id)}/{kind}"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    @property
    def instance_actor(self) -> str:
        return f"{self.base}/actor"

    @property
    def instance_key_id(self) -> str:
        return f"{self.base}/actor#main-key"

    def media(self, path: str) -> str:
        return f"{self.base}/media/{path}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name}"
