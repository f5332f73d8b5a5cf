#!/usr/bin/env bash
# Many seeds on a Slurm cluster: one shard of the work per array task, then one merge.
#
#   scripts/slurm-seeds.sh [N] [experiment…]      # on the login node, from the repository root
#
# builds the release xtask once (the repository must be on a file system the nodes share),
# submits an array of N tasks, each running `reproduce … --shard I/N` into shards/I, and a
# merge job that runs when every task has succeeded and writes results/ (and REPORT.md when the
# experiments are `all`). SEEDS (default 10), FLAGS (more reproduce flags), OUT (default results) and SHARDS (default shards)
# can be set in the environment; sbatch options (partition, account) go in SBATCH_* variables.
#SBATCH --job-name=dl-seeds
#SBATCH --cpus-per-task=2
#SBATCH --time=04:00:00
set -euo pipefail

xtask=target/release/xtask
if [ -z "${SLURM_JOB_ID:-}" ]; then
    n="${1:-8}"
    shift || true
    experiments="${*:-gradient-vanishing batch-norm optimizers overfitting}"
    cargo build --release -p xtask
    mkdir -p "${SHARDS:-shards}"
    export N="$n" EXPERIMENTS="$experiments"
    array=$(sbatch --parsable --array="1-$n" --output="${SHARDS:-shards}/slurm-%a.out" \
        --export=ALL "$0")
    merge=$(sbatch --parsable --dependency="afterok:${array%%;*}" --export=ALL,MERGE=1 \
        --output="${SHARDS:-shards}/slurm-merge.out" "$0")
    echo "submitted shards (job $array) and their merge (job $merge)"
    exit 0
fi

if [ "${MERGE:-0}" = 1 ]; then
    dirs=()
    for i in $(seq 1 "$N"); do dirs+=("${SHARDS:-shards}/$i"); done
    exec "$xtask" merge "${OUT:-results}" "${dirs[@]}"
fi

# shellcheck disable=SC2086 # the experiment names are separate words
exec "$xtask" reproduce $EXPERIMENTS --seeds "${SEEDS:-10}" ${FLAGS:-} \
    --shard "$SLURM_ARRAY_TASK_ID/$N" --threads "${SLURM_CPUS_PER_TASK:-1}" \
    --out "${SHARDS:-shards}/$SLURM_ARRAY_TASK_ID"
