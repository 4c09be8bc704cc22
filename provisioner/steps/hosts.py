"""The hosts the steps act on: inventory names (Ansible's `limit`) and their addresses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hosts:
    """The dev and production web hosts and the database host."""

    web_dev: str
    web_dev_address: str
    web_prod: str
    web_prod_address: str
    db: str
    db_address: str
