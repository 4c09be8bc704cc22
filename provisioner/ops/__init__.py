"""Operations: metrics, structured logs, readiness, backup and restore."""
