"""Federation state: known instances, the durable job queue, processed activity ids."""

from __future__ import annotations

from tortoise import fields

from fedianon.models.base import SnowflakeModel

JOB_PENDING = "pending"
JOB_DONE = "done"
JOB_DEAD = "dead"


class Instance(SnowflakeModel):
    domain = fields.CharField(max_length=255, unique=True)
    software = fields.CharField(max_length=64, null=True)
    version = fields.CharField(max_length=64, null=True)
    signature_scheme = fields.CharField(max_length=16, null=True)  # cavage|rfc9421
    failure_count = fields.IntField(default=0)
    first_failure_at = fields.DatetimeField(null=True)
    unavailable_since = fields.DatetimeField(null=True)
    last_success_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "instances"


class Job(SnowflakeModel):
    """A unit of background work. Claimed with a lease, so a killed worker loses nothing."""

    kind = fields.CharField(max_length=64)
    payload = fields.JSONField(default=dict)
    state = fields.CharField(max_length=16, default=JOB_PENDING)
    run_at = fields.DatetimeField()
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=16)
    lease_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "jobs"
        indexes = (("state", "run_at"),)


class ProcessedActivity(SnowflakeModel):
    """Activity ids already applied (SHA-256 digests), so duplicates apply once."""

    digest = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "processed_activities"


class PeriodicRun(SnowflakeModel):
    """When a periodic job kind is next due (`fedianon.jobs.schedule`).

    One row per kind. A scheduler enqueues the job only if its conditional UPDATE moved
    `next_run_at` forward, so workers in several processes never enqueue the same run twice.
    """

    kind = fields.CharField(max_length=64, unique=True)
    next_run_at = fields.DatetimeField()
    last_enqueued_at = fields.DatetimeField(null=True)

    class Meta:
        table = "periodic_runs"
