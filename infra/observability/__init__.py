"""What an operator watches: Prometheus metrics, the log context of a flow, JSON logs."""
