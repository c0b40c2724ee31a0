"""The Halo Infinite API layer: routing, per-service rate limits, retries, tokens, typed errors.

Import from the modules: `halo.errors` stays cheap for the CLI, `halo.client` pulls in aiohttp
and spnkr, `halo.resource` pulls in Dagster.
"""
