"""Operations: metrics, health ports, JSON logs with request ids, SIGTERM drains."""
