"""Letters: the letter a request's job issued, each letter with its letter of record, and a
correction."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LetterOut(BaseModel):
    number: str
    issued_at: datetime
    sha256: str
    verification_code: str
    download_url: str


class LetterDetailOut(BaseModel):
    id: int
    request_id: int
    number: str
    issued_at: datetime
    sha256: str
    verification_code: str
    replaces_id: int | None
    download_url: str
    record_sha256: str | None
    record_uploaded_at: datetime | None
    record_uploaded_by: str | None
    record_url: str | None


class CorrectionIn(BaseModel):
    """What the correction changes; at least one field. The site's facts (name, server,
    commit, checks) are what the job proved and cannot be corrected."""

    model_config = ConfigDict(extra="forbid", strict=True)
    addressee: str | None = Field(None, max_length=300)
    addressee_place: str | None = Field(None, max_length=300)
    subject: str | None = Field(None, max_length=300)
    nature: str | None = Field(None, max_length=300)
    attachments: str | None = Field(None, max_length=300)
