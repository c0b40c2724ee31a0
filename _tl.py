import sys, tempfile
from pathlib import Path
from collections import defaultdict
from benchmarks.data import history_world, indexed
from benchmarks.procs import sync_worker
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.server import run_simulator
L = float(sys.argv[1]); n = int(sys.argv[2])
world = indexed(history_world(n)); gt = world.players[0].gamertag
knobs = Knobs(latency_ms=50, jitter_ms=20, rate_limit_rps={"*": L})
with run_simulator(world=world, knobs=knobs) as sim, tempfile.TemporaryDirectory() as t:
    sim.reset_stats()
    res = sync_worker(Path(t), sim.endpoint, gt, max_matches=n, rps=None)
    log = list(sim.request_log)
print(res)
t0 = log[0][0]
by = defaultdict(list)
for t, e, st in log:
    by[e].append((t - t0, st))
for e, v in by.items():
    print(f"{e:15} n={len(v):4} first={v[0][0]:6.2f} last={v[-1][0]:6.2f} 429={sum(1 for _, s in v if s == 429)}")
# per-second discovery counts
import math
sec = defaultdict(lambda: defaultdict(int))
for t, e, st in log:
    sec[int(t - t0)][e] += 1
for k in sorted(sec):
    print(k, dict(sec[k]))
