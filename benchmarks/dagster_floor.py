"""The smallest Dagster job run there is: two no-op assets, executed in process on a
persistent (SQLite) instance under $DAGSTER_HOME, like `levelup sync` runs its jobs.

Its wall time is what any CLI-launched Dagster run costs before doing any work: imports of
the storage layer (SQLAlchemy, Alembic), instance start, run and event bookkeeping.
"""

from __future__ import annotations

import dagster as dg


@dg.asset
def first() -> None:
    """Does nothing."""


@dg.asset(deps=[first])
def second() -> None:
    """Does nothing either."""


def main() -> None:
    """Run the two-asset job once on the instance of $DAGSTER_HOME."""
    defs = dg.Definitions(
        assets=[first, second],
        jobs=[dg.define_asset_job("floor", selection=[first, second])],
    )
    result = defs.resolve_job_def("floor").execute_in_process(instance=dg.DagsterInstance.get())
    assert result.success


if __name__ == "__main__":
    main()
