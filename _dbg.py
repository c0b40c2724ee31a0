import asyncio, tempfile, time, argparse
from pathlib import Path
from benchmarks.data import history_world, indexed
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.server import run_simulator
from levelup_pipeline.halo.client import HaloApiSettings, open_halo_api
from levelup_pipeline.halo.auth import Credentials
from levelup_pipeline.ingest.engine import SyncEngine
from levelup_pipeline.ingest.options import SyncOptions
from levelup_pipeline.store.player_store import PlayerStore
n=300; L=20
world = indexed(history_world(n)); gt = world.players[0].gamertag
knobs = Knobs(latency_ms=50, jitter_ms=20, rate_limit_rps={"*": L})
async def main(ep, tmp):
    store = PlayerStore(gt, data_dir=Path(tmp))
    with store.writer() as w:
        async with open_halo_api(HaloApiSettings(endpoint=ep, credentials=Credentials(simulator=True))) as api:
            ident = await api.resolve_player(gt)
            w.set_meta("player_xuid", ident.xuid)
            async def mon():
                t0 = time.monotonic()
                while True:
                    await asyncio.sleep(1)
                    print(f"{time.monotonic()-t0:5.1f}", " | ".join(f"{b.name[:5]} {b.rate:.1f} q={len(b._queue)} w={[e[0] for e in b._queue].count(2)}" for b in api.limiter.budgets()), flush=True)
            m = asyncio.ensure_future(mon())
            eng = SyncEngine(api, w, gt, ident.xuid, SyncOptions(mode="full", max_matches=n, match_type="all"))
            r = await eng.run()
            m.cancel()
            print(r.seconds)
with run_simulator(world=world, knobs=knobs) as sim, tempfile.TemporaryDirectory() as tmp:
    asyncio.run(main(sim.endpoint, tmp))
