#!/usr/bin/env bash
# Many seeds with GNU parallel: N shards of the work as N processes (here, or on the hosts of
# `parallel -S`), then one merge.
#
#   scripts/parallel-seeds.sh [N] [experiment…]    # from the repository root
#
# SEEDS (default 10), FLAGS (more reproduce flags, e.g. "--iterations 200"), OUT (default results), SHARDS (default shards) and THREADS (threads per
# shard, default 1) can be set in the environment. To spread the shards over machines that see
# the repository at the same path, add e.g. PARALLEL="-S host1,host2 --wd $PWD".
set -euo pipefail

n="${1:-4}"
shift || true
experiments="${*:-gradient-vanishing batch-norm optimizers overfitting}"
shards="${SHARDS:-shards}"
cargo build --release -p xtask
# shellcheck disable=SC2086 # the experiment names are separate words
seq 1 "$n" | parallel --halt now,fail=1 -j "$n" \
    target/release/xtask reproduce $experiments --seeds "${SEEDS:-10}" ${FLAGS:-} --shard "{}/$n" \
    --threads "${THREADS:-1}" --out "$shards/{}"
target/release/xtask merge "${OUT:-results}" $(seq -f "$shards/%g" 1 "$n")
