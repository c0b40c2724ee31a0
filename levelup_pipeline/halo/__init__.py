"""The Halo Infinite API layer (import the modules: `errors` is cheap, `client` pulls aiohttp)."""
