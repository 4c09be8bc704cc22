"""Data access by aggregate. Functions take a Session so the caller owns the
transaction; nothing here decides what is allowed."""
