#!/usr/bin/env bash
# Benchmark of the route planner on the Solomon and Gehring-Homberger VRPTW
# instances. Builds bin once, runs every solve, checks every solution with the
# independent checker tools/vrptw-check (never with the planner's own
# evaluator) and prints per-class gaps to the best-known values of
# testdata/vrptw/bks.csv beside a nearest-neighbour baseline run here too.
#
#   scripts/bench-planner.sh            # full run: about 17 minutes with 2 parallel solves
#   QUICK=1 scripts/bench-planner.sh    # one instance per class, about 1.5 minutes
#   JOBS=1 scripts/bench-planner.sh     # one solve at a time
#   OUT=dir SEED=1 scripts/bench-planner.sh
#
# Runs: Solomon 56 at 1 s and at 10 s (objective distance, DIMACS convention),
# Solomon 56 at 10 s (objective vehicles, double convention, compared with the
# hierarchical BKS: 405 vehicles in total), Gehring-Homberger 200-customer 60
# at 10 s (distance, DIMACS). Each solve uses one core; JOBS solves (default 2)
# run at the same time.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
SEED=${SEED:-1}
OUT=${OUT:-$(mktemp -d -t bench-planner.XXXXXX)}
mkdir -p "$OUT"
DATA=testdata/vrptw
BKS=$DATA/bks.csv

echo "building hoso…" >&2
go build -o "$OUT/hoso" ./cmd/hoso

if [[ "${QUICK:-}" == "1" ]]; then
  SOL=(C101 C201 R101 R201 RC101 RC201)
  GH=(c1_2_1 r1_2_1 rc2_2_1)
else
  mapfile -t SOL < <(ls $DATA/solomon/*.txt | xargs -n1 basename | sed 's/\.txt$//' | sort)
  mapfile -t GH < <(ls $DATA/gh200/*.txt | xargs -n1 basename | sed 's/\.txt$//' | sort)
fi

# One line per solve: run-name algo file time convention objective
jobs_file="$OUT/jobs.txt"
: > "$jobs_file"
for i in "${SOL[@]}"; do
  f=$DATA/solomon/$i.txt
  echo "sol1 hgs $f 1s dimacs distance" >> "$jobs_file"
  echo "sol10 hgs $f 10s dimacs distance" >> "$jobs_file"
  echo "veh10 hgs $f 10s double vehicles" >> "$jobs_file"
  echo "sol-naive naive $f 1s dimacs distance" >> "$jobs_file"
  echo "veh-naive naive $f 1s double vehicles" >> "$jobs_file"
done
for i in "${GH[@]}"; do
  f=$DATA/gh200/$i.txt
  echo "gh10 hgs $f 10s dimacs distance" >> "$jobs_file"
  echo "gh-naive naive $f 1s dimacs distance" >> "$jobs_file"
done
# Longest first so the parallel slots stay busy.
sort -t' ' -k4,4r -o "$jobs_file" "$jobs_file"

solve_one() {
  local run=$1 algo=$2 file=$3 t=$4 conv=$5 obj=$6
  local name
  name=$(basename "$file" .txt)
  local sol="$OUT/$run/$name.json" chk="$OUT/$run/$name.check.json"
  mkdir -p "$OUT/$run"
  "$OUT/hoso" plan -solomon "$file" -convention "$conv" -objective "$obj" -time "$t" -seed "$SEED" -algo "$algo" > "$sol" 2> "$OUT/$run/$name.err" || true
  python3 tools/vrptw-check "$file" "$sol" --bks "$BKS" > "$chk" || true
}
export -f solve_one
export OUT SEED BKS

total=$(wc -l < "$jobs_file")
echo "running $total solves, $JOBS at a time, results in $OUT" >&2
start=$(date +%s)
xargs -P "$JOBS" -L 1 bash -c 'solve_one "$@"' _ < "$jobs_file"
end=$(date +%s)

python3 - "$OUT" "$JOBS" "$((end - start))" "${QUICK:-0}" <<'PY'
import json, os, re, sys, statistics
out, jobs, secs, quick = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
CLASSES = ["C1", "C2", "R1", "R2", "RC1", "RC2"]
def cls(name):
    m = re.match(r"(rc|r|c)(\d)", name.lower())
    return m.group(1).upper() + m.group(2)
def load(run):
    d = os.path.join(out, run)
    res = {}
    if not os.path.isdir(d):
        return res
    for f in sorted(os.listdir(d)):
        if not f.endswith(".check.json"):
            continue
        name = f[:-len(".check.json")]
        try:
            c = json.load(open(os.path.join(d, f)))
        except Exception:
            c = {"feasible": False, "errors": ["no checker output"]}
        ok = c.get("feasible") is True and not any("differs" in e for e in c.get("errors", []))
        res[name] = dict(ok=ok, veh=c.get("vehicles"), dist=c.get("distance"), gap=c.get("gap_pct"),
                         bveh=(c.get("bks") or {}).get("vehicles"))
    return res
def mean(xs):
    return statistics.fmean(xs) if xs else float("nan")
def table(title, run, base, vehicles_mode=False):
    a, b = load(run), load(base)
    lines = [f"### {title}", ""]
    if vehicles_mode:
        lines += ["| class | n | vehicles | BKS vehicles | mean gap % (same vehicles) | baseline vehicles | infeasible (planner/baseline) |",
                  "|---|---|---|---|---|---|---|"]
    else:
        lines += ["| class | n | planner mean gap % | max gap % | vehicles | baseline mean gap % | baseline vehicles | infeasible (planner/baseline) |",
                  "|---|---|---|---|---|---|---|---|"]
    allg, allbg, infa, infb = [], [], 0, 0
    tv = tb = tbv = 0
    for c in CLASSES:
        names = [n for n in a if cls(n) == c]
        if not names:
            continue
        ga = [a[n]["gap"] for n in names if a[n]["ok"] and a[n]["gap"] is not None]
        gb = [b[n]["gap"] for n in names if n in b and b[n]["ok"] and b[n]["gap"] is not None]
        ia = sum(1 for n in names if not a[n]["ok"])
        ib = sum(1 for n in names if n not in b or not b[n]["ok"])
        va = sum(a[n]["veh"] or 0 for n in names)
        vb = sum(b[n]["veh"] or 0 for n in names if n in b)
        bv = sum(a[n]["bveh"] or 0 for n in names)
        infa += ia; infb += ib; tv += va; tb += vb; tbv += bv
        if vehicles_mode:
            same = [a[n]["gap"] for n in names if a[n]["ok"] and a[n]["veh"] == a[n]["bveh"]]
            allg += same
            lines.append(f"| {c} | {len(names)} | {va} | {bv} | {mean(same):.2f} ({len(same)}) | {vb} | {ia}/{ib} |")
        else:
            allg += ga; allbg += gb
            lines.append(f"| {c} | {len(names)} | {mean(ga):.2f} | {max(ga) if ga else float('nan'):.2f} | {va} | {mean(gb):.2f} | {vb} | {ia}/{ib} |")
    n = len(a)
    if vehicles_mode:
        lines.append(f"| **all** | {n} | **{tv}** | {tbv} | {mean(allg):.2f} ({len(allg)}) | {tb} | {infa}/{infb} |")
    else:
        lines.append(f"| **all** | {n} | **{mean(allg):.2f}** | {max(allg) if allg else float('nan'):.2f} | {tv} | {mean(allbg):.2f} | {tb} | {infa}/{infb} |")
    return "\n".join(lines) + "\n"
rep = [f"## Planner benchmark{' (QUICK subset)' if quick else ''}", "",
       f"{jobs} solves at a time on a {os.cpu_count()}-core machine (one core per solve), wall time {secs} s; every solution checked by tools/vrptw-check; gaps to testdata/vrptw/bks.csv. Baseline: nearest-neighbour (-algo naive).", ""]
rep.append(table("Solomon 100, 1 s, objective distance, DIMACS convention (gap to distance_dimacs BKS)", "sol1", "sol-naive"))
rep.append(table("Solomon 100, 10 s, objective distance, DIMACS convention", "sol10", "sol-naive"))
rep.append(table("Solomon 100, 10 s, objective vehicles then distance, double convention (hierarchical BKS)", "veh10", "veh-naive", vehicles_mode=True))
rep.append(table("Gehring-Homberger 200, 10 s, objective distance, DIMACS convention", "gh10", "gh-naive"))
text = "\n".join(rep)
print(text)
open(os.path.join(out, "summary.md"), "w").write(text)
PY
