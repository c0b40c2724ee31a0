"""`python -m levelup_pipeline.simulator serve ...`."""

from levelup_pipeline.simulator.cli import simulator_cli

simulator_cli()
