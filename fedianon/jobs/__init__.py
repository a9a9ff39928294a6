"""The durable job queue: jobs are rows, claimed with a lease (and SKIP LOCKED on PostgreSQL),
so a killed worker loses nothing."""
