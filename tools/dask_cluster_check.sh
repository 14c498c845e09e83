#!/bin/bash
# Runs examples/cluster/dask_sweep.py for real on a Dask LocalCluster with two worker processes
# and checks that its merged output (the table on standard output and the --out file) equals
# the single-process `folio sweep` byte for byte; prints both timings.
#
#   tools/dask_cluster_check.sh                                   # the default grid below
#   tools/dask_cluster_check.sh STRATEGY.toml SHARDS [folio sweep flags…]
#
# Installs dask[distributed] from PyPI into a venv under /tmp (kept between runs). Slow and
# needs Python, so it is not part of `cargo test`. FOLIO=path/to/folio picks the binary
# (default: target/debug/folio, built here with `cargo build --locked`); each shard runs with
# --threads 1, the single-process sweep with --threads 2 (one per worker), so both use two
# cores.
set -euo pipefail
cd "$(dirname "$0")/.."
strategy=${1:-strategies/index_sweep_1000.toml}
shards=${2:-8}
shift $(($# > 2 ? 2 : $#))
# The default: 100 variants of index_sweep_1000.toml's 1,000 (its four axes kept; fewer
# bands and commissions), so the check takes minutes, not an hour, on two cores.
if [ "$strategy" = strategies/index_sweep_1000.toml ] && [ $# -eq 0 ]; then
    set -- --param 'strategy.rebalance.band.relative=0.05,0.2,1.0' \
        --param 'backtest.commission_bps=0,10' \
        --param 'strategy.rebalance.calendar=monthly,quarterly,annual' \
        --param 'strategy.rebalance.min_trade=0,0.001,0.005' --from 2010-01-01
fi

venv=/tmp/folio-dask-venv
if ! "$venv/bin/python" -c 'import dask.distributed' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'dask[distributed]'
fi
if [ -z "${FOLIO:-}" ]; then
    cargo build --locked --quiet
    FOLIO=target/debug/folio
fi

work=$(mktemp -d /tmp/folio-dask-check.XXXXXX)
trap 'rm -rf "$work"' EXIT

start=$(date +%s%N)
"$FOLIO" sweep "$strategy" --threads 2 --out "$work/single.parquet" "$@" >"$work/single.txt"
single=$((($(date +%s%N) - start) / 1000000))

start=$(date +%s%N)
"$venv/bin/python" examples/cluster/dask_sweep.py "$strategy" --shards "$shards" \
    --shard-dir "$work/shards" --out "$work/merged.parquet" --workers 2 --threads 1 \
    --folio "$FOLIO" -- "$@" >"$work/merged.txt"
dask=$((($(date +%s%N) - start) / 1000000))

cmp "$work/single.txt" "$work/merged.txt"
cmp "$work/single.parquet" "$work/merged.parquet"
variants=$(grep -o '^[0-9]* trials' "$work/single.txt")
echo "dask_cluster_check: OK: $strategy ($variants, $shards shards): merged table and Parquet equal the single process byte for byte"
echo "single process (--threads 2): $((single / 1000)).$((single % 1000 / 100)) s"
echo "Dask LocalCluster (2 workers x 1 thread, $shards shards, start-up and merge included): $((dask / 1000)).$((dask % 1000 / 100)) s"
