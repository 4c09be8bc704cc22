"""Existing sites: registering a vhost found on a web server, approving its migration
under management (or the way back) by the checksum of the plan that was shown."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

CHECKSUM = r"^[0-9a-f]{64}$"
EXTRA_MAX = 4000  # directives the team adds to the managed vhost (shown in the plan)


class RegisterSiteIn(BaseModel):
    """The vhost `host` serves for `fqdn`, registered as `agency`'s existing site."""

    model_config = ConfigDict(extra="forbid", strict=True)
    host: str = Field(min_length=1, max_length=100)
    fqdn: str = Field(min_length=1, max_length=253)
    agency: str = Field(max_length=200)


class MigrateSiteIn(BaseModel):
    """Approval of the migration plan shown with `checksum` (and the same `extra`)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    checksum: str = Field(pattern=CHECKSUM)
    extra: str = Field(default="", max_length=EXTRA_MAX)


class MigrateBackIn(BaseModel):
    """Approval of the way back shown with `checksum`."""

    model_config = ConfigDict(extra="forbid", strict=True)
    checksum: str = Field(pattern=CHECKSUM)
