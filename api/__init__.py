"""The HTTP inbound adapter: the gateway (API, webhook, Mini App, health, metrics)."""
