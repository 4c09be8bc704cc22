"""Sign-in, the caller, users and their tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


class MeOut(BaseModel):
    username: str
    role: str
    agency: str | None
    csrf_token: str | None = None
    expires_at: datetime | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    username: str = Field(..., min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    role: Literal["opd", "network", "technical", "approver", "admin"]
    agency: str | None = Field(None, max_length=200)
    full_name: str = Field("", max_length=200)
    email: str | None = Field(None, max_length=200)
    password: str | None = Field(None, min_length=1, max_length=256)


class UserOut(BaseModel):
    username: str
    full_name: str
    role: str
    agency: str | None
    email: str | None
    disabled: bool
    locked: bool
    has_password: bool


class TokenOut(BaseModel):
    username: str
    token: str = Field(..., description="shown once; only its hash is stored")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    password: str = Field(..., min_length=1, max_length=256)
    current_password: str | None = Field(None, max_length=256)
