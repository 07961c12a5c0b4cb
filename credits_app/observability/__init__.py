"""Operating the app: Prometheus metrics, structured logs with a request id (issue 11)."""
