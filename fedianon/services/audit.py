"""The moderators' audit log: every report, account, domain and blocklist action leaves one
`AdminAction` row (who, what, on which record, with the moderator's note), written in the
action's transaction so the log never claims an action that was rolled back, nor misses one
that happened. The moderator is None for actions nobody in particular took (a job, the CLI)."""

from __future__ import annotations

from fedianon.models.accounts import Account
from fedianon.models.moderation import AdminAction


async def record(
    moderator: Account | None, action: str, target_type: str, target_id: int | str, text: str = ""
) -> AdminAction:
    return await AdminAction.create(
        account=moderator,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        text=text or "",
    )
