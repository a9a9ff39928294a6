"""For Tortoise's own CLI (`tortoise -c fedianon.tortoise_conf.TORTOISE_ORM makemigrations`),
used by developers to write new migrations. The server uses `fedianon migrate`."""

import os

from fedianon.db import tortoise_config
from fedianon.settings import parse_database_url

TORTOISE_ORM = tortoise_config(
    parse_database_url(
        os.environ.get("FEDIANON_DATABASE_URL", "sqlite:///tmp/fedianon-makemigrations.sqlite3")
    )
)
