#!/bin/bash
# Submits a folio sweep as a SLURM job array of N shards and a merge job that runs once every
# shard has succeeded:
#
#   examples/cluster/slurm_submit.sh strategies/index_sweep_1000.toml 16 shards/ variants.parquet
#
# The shard folder must be on a file system every node and the merge job see. The merge
# prints the ranking to its log (folio-merge-<jobid>.log) and writes every variant to OUT,
# byte for byte what `folio sweep STRATEGY --out OUT` writes on one machine.
set -euo pipefail
strategy=${1:?usage: slurm_submit.sh STRATEGY.toml N SHARD_DIR OUT}
shards=${2:?usage: slurm_submit.sh STRATEGY.toml N SHARD_DIR OUT}
shard_dir=${3:?usage: slurm_submit.sh STRATEGY.toml N SHARD_DIR OUT}
out=${4:?usage: slurm_submit.sh STRATEGY.toml N SHARD_DIR OUT}
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array=0-$((shards - 1)) "$here/slurm_shard.sbatch" "$strategy" "$shard_dir")
echo "shards: job array $array (0-$((shards - 1)))"
merge=$(sbatch --parsable --dependency=afterok:"$array" --job-name=folio-merge \
    --output=folio-merge-%j.log --wrap "folio sweep merge '$shard_dir' --out '$out'")
echo "merge: job $merge, after every shard of $array succeeded"
