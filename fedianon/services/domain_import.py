"""Importing a blocklist file: a preview first (what would be added, changed, left alone,
and which rows could not be read), then the apply, in one transaction. Mastodon's CSV,
FediBlockHole's columns, JSON (Mastodon's public list shape) and plain text are accepted;
domains are normalized to lowercase punycode."""

from __future__ import annotations

from dataclasses import dataclass, field

from fedianon.activitypub import policy
from fedianon.blocklists import Change, Entry, ListDiff, Problem, diff, parse, to_mastodon_csv
from fedianon.context import AppContext
from fedianon.db import atomic
from fedianon.errors import ValidationFailed
from fedianon.jobs import queue
from fedianon.models.accounts import Account
from fedianon.models.moderation import DomainBlock
from fedianon.services import audit, domain_blocks, subscriptions


@dataclass
class ImportPreview:
    format: str
    added: list[Entry] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0
    excluded: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def will_apply(self) -> int:
        return len(self.added) + len(self.changed)


def _as_entry(block: DomainBlock) -> Entry:
    return Entry(
        domain=block.domain,
        severity=block.severity,
        reject_media=block.reject_media,
        reject_reports=block.reject_reports,
        public_comment=block.public_comment or "",
        private_comment=block.private_comment or "",
        obfuscate=block.obfuscate,
    )


async def preview(ctx: AppContext, data: bytes, content_type: str | None = None) -> ImportPreview:
    """Parse and compare with the blocks in force; raises ListFormatError for a non-list."""
    parsed = parse(data, content_type)
    current = {b.domain: _as_entry(b) for b in await DomainBlock.all()}
    excludes = await subscriptions.excluded_domains()
    own = ctx.settings.host
    result: ListDiff = diff(current, parsed.entries, excludes=[*excludes, own])
    return ImportPreview(
        format=parsed.format,
        added=list(result.added),
        changed=list(result.changed),
        unchanged=len(result.unchanged),
        excluded=list(result.excluded),
        problems=list(parsed.problems),
    )


BULK_THRESHOLD = 500


async def apply(
    ctx: AppContext, planned: ImportPreview, *, actor: Account | None, filename: str = "import"
) -> tuple[int, int, int]:
    """Create the added blocks and update the changed ones: (added, changed, skipped).

    Small imports go block by block (each federated to peers at once); large ones are
    inserted in bulk and reconciled by one job, and peers read the collection on refresh.
    """
    note = f"imported from {filename}"
    added = skipped = 0
    async with atomic():
        if len(planned.added) > BULK_THRESHOLD:
            rows = [
                DomainBlock(
                    domain=e.domain,
                    severity=e.severity,
                    reject_media=e.reject_media,
                    reject_reports=e.reject_reports,
                    public_comment=e.public_comment or None,
                    private_comment=e.private_comment or note,
                    obfuscate=e.obfuscate,
                    source="import",
                    created_by=actor,
                )
                for e in planned.added
            ]
            await DomainBlock.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
            await audit.record(
                actor, "domain_block.import", "domain", filename[:255], f"{len(rows)} blocks"
            )
            await queue.enqueue(domain_blocks.RECONCILE_JOB, {})
            added = len(rows)
        else:
            for entry in planned.added:
                try:
                    await domain_blocks.create_block(
                        ctx,
                        domain_blocks.BlockSpec(
                            domain=entry.domain,
                            severity=entry.severity,
                            reject_media=entry.reject_media,
                            reject_reports=entry.reject_reports,
                            public_comment=entry.public_comment or None,
                            private_comment=entry.private_comment or note,
                            obfuscate=entry.obfuscate,
                        ),
                        actor=actor,
                        source="import",
                    )
                    added += 1
                except ValidationFailed:
                    skipped += 1  # already covered by a stricter parent domain block
        for change in planned.changed:
            block = await DomainBlock.get(domain=change.new.domain)
            await domain_blocks.update_block(
                ctx,
                block,
                {
                    "severity": change.new.severity,
                    "reject_media": change.new.reject_media,
                    "reject_reports": change.new.reject_reports,
                    "public_comment": change.new.public_comment or None,
                    "obfuscate": change.new.obfuscate,
                },
                actor=actor,
            )
    policy.forget()
    return added, len(planned.changed), skipped


async def export_csv(*, public: bool = False) -> str:
    """Mastodon's export: blocks that limit something (silence, suspend or reject_media).
    `public` (the published /blocklist.csv) leaves the obfuscated entries out."""
    blocks = [
        b
        for b in await DomainBlock.all().order_by("domain")
        if (b.severity != "noop" or b.reject_media) and not (public and b.obfuscate)
    ]
    return to_mastodon_csv([_as_entry(b) for b in blocks])
