"""The browser tests' shared fixture (tests/e2e/browser_support.py): Debian's Chromium."""

from tests.e2e.browser_support import browser  # noqa: F401  (a fixture, by its name)
