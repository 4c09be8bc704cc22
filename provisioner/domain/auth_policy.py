"""Sign-in rules to the BSSN 4/2021 baseline (pure): password strength, lock-out after
repeated failures with a timed unlock, and session idle / absolute time-outs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from provisioner.domain.errors import InvalidInput

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # argon2 takes any length; a cap stops hashing megabytes per attempt
_CLASSES = (
    re.compile(r"[a-z]"),
    re.compile(r"[A-Z]"),
    re.compile(r"[0-9]"),
    re.compile(r"[^A-Za-z0-9]"),
)


def check_password_strength(password: str, *, username: str = "") -> None:
    """Refuse a password shorter than 12 characters, with fewer than three of the four
    character classes (lower, upper, digit, symbol), or containing the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "password",
            f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter / "
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            "password",
            f"Kata sandi paling banyak {MAX_PASSWORD_LENGTH} karakter / "
            f"A password may have at most {MAX_PASSWORD_LENGTH} characters",
        )
    if sum(1 for c in _CLASSES if c.search(password)) < 3:
        raise InvalidInput(
            "password",
            "Kata sandi harus memuat minimal tiga dari: huruf kecil, huruf besar, angka, simbol / "
            "A password needs three of: lower case, upper case, digits, symbols",
        )
    if username and username.lower() in password.lower():
        raise InvalidInput(
            "password",
            "Kata sandi tidak boleh memuat nama pengguna / "
            "A password may not contain the user name",
        )


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lock_for: timedelta = timedelta(minutes=15)

    def is_locked(self, locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and now < locked_until

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """New failure count and lock deadline after one more failed attempt; reaching the
        limit locks the account and starts counting again from zero after the unlock."""
        failures += 1
        if failures >= self.max_failures:
            return 0, now + self.lock_for
        return failures, None


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=8)

    def expired(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at > self.idle or now - created_at > self.absolute

    def expires_at(self, created_at: datetime, last_seen_at: datetime) -> datetime:
        return min(last_seen_at + self.idle, created_at + self.absolute)


@dataclass(frozen=True)
class AddressThrottle:
    """Failed sign-ins from one client address, whatever accounts they try: at
    `max_failures` within `window` further attempts wait until the oldest failure leaves
    the window. It stops guessing one password across many accounts, which the
    per-account lock-out alone does not."""

    max_failures: int = 20
    window: timedelta = timedelta(minutes=15)

    def retry_after(self, failures: list[datetime], now: datetime) -> int | None:
        """Seconds to wait before the next attempt, or None when one may try now.
        `failures` are the times of this address's failures (any order)."""
        recent = sorted(at for at in failures if now - at < self.window)
        if len(recent) < self.max_failures:
            return None
        # The attempt that would bring the count below the limit: the oldest ones expire.
        frees_at = recent[len(recent) - self.max_failures] + self.window
        return max(1, int((frees_at - now).total_seconds() + 0.999))
