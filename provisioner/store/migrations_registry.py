"""All tables: importing the models package registers every aggregate's tables on Base."""

from __future__ import annotations

from sqlalchemy import MetaData

import provisioner.store.models  # noqa: F401 - registers every table
from provisioner.store.models.base import Base


def all_metadata() -> MetaData:
    return Base.metadata
