"""All tables: every provisioner/store/models*.py module registers its own on Base."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

import provisioner.store
from provisioner.store.models import Base


def all_metadata() -> MetaData:
    for module in pkgutil.iter_modules(provisioner.store.__path__):
        if module.name.startswith("models"):
            importlib.import_module(f"provisioner.store.{module.name}")
    return Base.metadata
