"""`make dev`: the Dagster UI and daemon (`dg dev`), on the real API with credentials, else on
the simulator serving the demo's world plus a few new matches."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import click

from levelup_pipeline.config import PROJECT_ROOT, SECRET_ENV
from levelup_pipeline.halo import auth
from levelup_pipeline.halo.endpoint import ENDPOINT_ENV
from levelup_pipeline.halo.ratelimit import RPS_ENV
from levelup_pipeline.report.serve import REPORT_URL_ENV, serve_reports

#: Any of these set means the user configured the real API (a redirect URI alone does not).
CREDENTIAL_ENV = tuple(v for v in SECRET_ENV.values() if v != auth.REDIRECT_URI_ENV)
#: Matches each demo player has played since the demo, waiting for a sync from the UI.
DEV_NEW_MATCHES = 3


@dataclass(frozen=True)
class HaloTarget:
    """Where the UI's syncs go: `real` API, an `endpoint` the user set, or the `simulator`."""

    kind: str
    why: str


def halo_target(environ: Mapping[str, str] = os.environ) -> HaloTarget:
    """Decide from the environment and the token file, without reading any secret."""
    endpoint = environ.get(ENDPOINT_ENV, "").strip()
    if endpoint:
        return HaloTarget("endpoint", f"{ENDPOINT_ENV}={endpoint}")
    names = [name for name in CREDENTIAL_ENV if environ.get(name, "").strip()]
    if names:
        return HaloTarget("real", "credentials in " + ", ".join(names))
    token_file = auth.default_token_file()
    if token_file.exists():
        return HaloTarget("real", f"refresh token in {token_file}")
    return HaloTarget("simulator", "no token file, no HALO_* / SPNKR_* variables")


@contextlib.contextmanager
def dev_simulator(new_matches: int = DEV_NEW_MATCHES) -> Iterator:
    """The demo's world, then `new_matches` fresh ones per player: a UI delta always finds some."""
    from levelup_pipeline.cli.demo import demo_players, demo_simulator, play_demo_matches
    from levelup_pipeline.simulator.synthetic import reseed

    with demo_simulator() as sim:
        play_demo_matches(sim)
        reseed(sim.world, time.time_ns())
        for gamertag in demo_players(sim):
            sim.add_matches(new_matches, gamertag=gamertag)
        yield sim


def _serve(command: list[str], env: dict[str, str]) -> int:
    """Run `dg dev` until it exits; Ctrl-C reaches it from the terminal, SIGTERM is passed on."""
    proc = subprocess.Popen(command, env=env, cwd=PROJECT_ROOT)

    def forward(signum: int, _frame: object) -> None:
        # Ctrl-C already reached the group; dg dev shuts down cleanly on SIGINT only
        if signum != signal.SIGINT:
            proc.send_signal(signal.SIGINT)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Webserver host.")
@click.option("--port", default=3000, type=int, show_default=True, help="Webserver port.")
def main(host: str, port: int) -> None:
    """Start the Dagster UI and daemon, with the embedded simulator when there is no account."""
    from levelup_pipeline.cli.demo import DEMO_RPS, demo_players
    from levelup_pipeline.cli.instance import ensure_dagster_home

    dg = Path(sys.executable).with_name("dg")  # `dg dev` of this environment ([tool.dg])
    if not dg.exists():
        raise click.ClickException(
            f"dg is not installed in this environment ({dg}): run `make install` "
            "(it installs dagster-dg-cli) and `make dev` again."
        )
    home = ensure_dagster_home()
    target = halo_target()
    env = dict(os.environ)
    with contextlib.ExitStack() as stack:
        env[REPORT_URL_ENV] = stack.enter_context(
            serve_reports(host=host, port=port + 1, any_port_if_taken=True)
        )
        if target.kind == "simulator":
            sim = stack.enter_context(dev_simulator())
            env[ENDPOINT_ENV] = sim.endpoint
            env.setdefault(RPS_ENV, DEMO_RPS)
            click.secho(
                f"No Halo account configured ({target.why}): syncs use the embedded Halo API "
                f"simulator on {sim.endpoint}, serving the demo's players "
                f"({', '.join(demo_players(sim))}) with {DEV_NEW_MATCHES} new matches each; "
                "run `levelup auth` to use the real API.",
                bold=True,
            )
            click.echo(
                f"   The CLI can use it too: {ENDPOINT_ENV}={sim.endpoint} levelup sync ...; "
                f"more matches: levelup simulator add-matches --endpoint {sim.endpoint} "
                "--player GAMERTAG --count 5"
            )
        elif target.kind == "endpoint":
            click.secho(f"Syncs use the Halo API simulator at {target.why}.", bold=True)
        else:
            click.secho(f"Syncs use the real Halo API ({target.why}).", bold=True)
        click.echo(
            f"   Dagster UI and daemon (dg dev) on http://{host}:{port}  (DAGSTER_HOME={home})"
        )
        click.echo(f"   Player reports (plots shown in the UI) served from {env[REPORT_URL_ENV]}")
        code = _serve([str(dg), "dev", "--host", host, "--port", str(port)], env)
    sys.exit(code)


if __name__ == "__main__":
    main()
