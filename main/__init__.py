"""The composition root: the one package that imports domain, infra and every inbound adapter."""
