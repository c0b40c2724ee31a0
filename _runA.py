import sys
from benchmarks import limiter_bench
from benchmarks.report import Report
r = Report()
sizes = {int(a.split(":")[0]): int(a.split(":")[1]) for a in sys.argv[1:]}
limiter_bench.adaptive(r, sizes)
for f in r.figures: print(f.name, f.value, f.verdict, f.note)
