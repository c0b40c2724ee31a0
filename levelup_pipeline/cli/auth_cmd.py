"""`levelup auth`: the guide's `spnkr_get_refresh_token.py`, storing a user-only token file."""

from __future__ import annotations

import asyncio
import os

import click

from levelup_pipeline.cli.errors import UserError, friendly
from levelup_pipeline.halo import auth


@click.command("auth")
@click.option(
    "--client-id", envvar=auth.CLIENT_ID_ENV, help=f"Azure app client id (or {auth.CLIENT_ID_ENV})."
)
@click.option(
    "--redirect-uri",
    envvar=auth.REDIRECT_URI_ENV,
    default="https://localhost",
    show_default=True,
    help=f"Redirect URI registered on the Azure app (or {auth.REDIRECT_URI_ENV}).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Where to store the refresh token (default LEVELUP_TOKEN_FILE or "
    "~/.config/levelup/refresh_token.json).",
)
@friendly
def auth_command(client_id: str | None, redirect_uri: str, token_file: str | None) -> None:
    """Sign in once with your Azure app and store the refresh token (mode 0600); the client
    secret is read from SPNKR_CLIENT_SECRET or prompted for (hidden), never written."""
    if not client_id:
        raise UserError(
            f"No Azure app client id: set {auth.CLIENT_ID_ENV} or pass --client-id "
            "(see README, 'Real use')."
        )
    secret = os.environ.get(auth.CLIENT_SECRET_ENV) or click.prompt(
        "Azure app client secret", hide_input=True
    )
    path = asyncio.run(
        auth.interactive_login(auth.AzureApp(client_id, secret, redirect_uri), token_file)
    )
    click.echo(f"Refresh token stored in {path} (readable by you only).")
    if not token_file and path != auth.default_token_file():
        click.echo(f"Set LEVELUP_TOKEN_FILE={path} for later runs.")
