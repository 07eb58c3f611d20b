"""What operators see: log lines, Prometheus metrics, Sentry events, and the per-request glue."""
