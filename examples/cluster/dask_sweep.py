#!/usr/bin/env python3
"""Run a folio sweep on a Dask cluster: one `folio sweep --shard K/N` per task, the shards'
files gathered back to this machine, then `folio sweep merge`.

    python examples/cluster/dask_sweep.py strategies/index_sweep_1000.toml \
        --shards 8 --shard-dir shards/ --out variants.parquet                 # a LocalCluster
    python examples/cluster/dask_sweep.py … --scheduler tcp://scheduler:8786  # a running cluster

Each task runs folio in a temporary folder on its worker and returns the two files it wrote
(results and manifest), so the workers need folio, the strategy file and its data at the same
paths, but no file system shared with this machine. Dask places the tasks; folio only shards
and merges. A task that fails is reported with folio's own one-line error; the shards that
succeeded are kept in --shard-dir, so rerun the missing ones alone (`--only K,…`) and the
merge picks them up. The merged table is printed on standard output and --out is written, byte
for byte what `folio sweep STRATEGY --out OUT` gives on one machine.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time


def run_shard(folio, strategy, k, n, threads, extra):
    """Runs shard k of n in a temporary folder; returns {file name: bytes} of what it wrote."""
    with tempfile.TemporaryDirectory(prefix="folio-shard-") as tmp:
        cmd = [folio, "sweep", strategy, "--shard", f"{k}/{n}", "--shard-dir", tmp,
               "--threads", str(threads), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True)
        files = {name: open(os.path.join(tmp, name), "rb").read() for name in os.listdir(tmp)
                 if not name.startswith(".")}
        if done.returncode != 0:
            raise RuntimeError(f"shard {k}/{n} failed: {done.stderr.strip()}")
        return files


def save(shard_dir, files):
    """Writes a shard's files into shard_dir: through a temporary name renamed into place, and
    only over a file of the same name that is a folio shard file."""
    for name, data in files.items():
        if os.sep in name or name.startswith("."):
            raise RuntimeError(f"unexpected file name from a worker: {name!r}")
        if ".shard-" not in name:
            raise RuntimeError(f"not a shard file: {name!r}")
        target = os.path.join(shard_dir, name)
        tmp = os.path.join(shard_dir, f".{name}.tmp-{os.getpid()}")
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("strategy", help="strategy file (TOML) with a [sweep] table")
    ap.add_argument("--shards", type=int, required=True, help="N: number of shards (tasks)")
    ap.add_argument("--shard-dir", required=True, help="folder the shards are gathered into")
    ap.add_argument("--out", help="write every variant here (.csv or .parquet)")
    ap.add_argument("--rows", type=int, default=20, help="variants shown in the table")
    ap.add_argument("--folio", default="folio", help="the folio binary (same path on workers)")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler "
                    "(default: start a LocalCluster)")
    ap.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    ap.add_argument("--threads", type=int, default=1, help="folio --threads per shard")
    ap.add_argument("--only", help="run only these shards (K,K,…), e.g. to rerun failed ones")
    ap.epilog = "More `folio sweep` flags (--param, overrides) go after --, passed to every shard."
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    args.extra = extra

    from dask.distributed import Client, LocalCluster, as_completed

    os.makedirs(args.shard_dir, exist_ok=True)
    strategy = os.path.abspath(args.strategy)
    folio = args.folio if os.sep not in args.folio else os.path.abspath(args.folio)
    todo = range(args.shards) if not args.only else [int(k) for k in args.only.split(",")]
    cluster = None
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    started = time.perf_counter()
    failed = []
    try:
        futures = {client.submit(run_shard, folio, strategy, k, args.shards, args.threads,
                                 args.extra, pure=False, key=f"folio-shard-{k}-of-{args.shards}"): k
                   for k in todo}
        for future in as_completed(futures):
            k = futures[future]
            try:
                save(args.shard_dir, future.result())
            except Exception as e:  # one shard's failure does not lose the others
                failed.append(k)
                print(f"dask_sweep: {e}", file=sys.stderr)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    shards_time = time.perf_counter() - started
    print(f"dask_sweep: {len(todo) - len(failed)} of {len(todo)} shard(s) in {shards_time:.1f} s",
          file=sys.stderr)
    if failed:
        print(f"dask_sweep: rerun the failed shards with --only {','.join(map(str, sorted(failed)))}",
              file=sys.stderr)
        return 2
    merge = [folio, "sweep", "merge", args.shard_dir, "--rows", str(args.rows)]
    if args.out:
        merge += ["--out", args.out]
    return subprocess.run(merge).returncode


if __name__ == "__main__":
    sys.exit(main())
