"""The business core: one package per bounded context, stdlib only."""
