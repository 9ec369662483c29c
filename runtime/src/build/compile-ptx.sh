#!/usr/bin/env bash
# Compiles the runtime's CUDA C kernels (SRC/*.cu) to PTX in OUT, one .ptx per .cu, when nvcc is on
# the PATH; without it, says so and leaves OUT alone, so the build goes on and the CPU path runs.
# PTX for compute capability 7.5 runs on every newer GPU: the driver compiles it for the device at
# load time. A .ptx newer than its .cu and the shared header is kept.
# Usage: compile-ptx.sh SRC OUT
set -euo pipefail

src=$1
out=$2

if ! command -v nvcc > /dev/null 2>&1; then
    echo "[kiln] nvcc is not on the PATH: building without the CUDA kernels (the CPU path is unaffected)"
    exit 0
fi

mkdir -p "$out"
for cu in "$src"/*.cu; do
    ptx=$out/$(basename "${cu%.cu}").ptx
    if [[ -f $ptx && $ptx -nt $cu && $ptx -nt $src/common.cuh ]]; then
        continue
    fi
    echo "[kiln] nvcc -ptx $(basename "$cu")"
    nvcc -ptx -arch=sm_75 -o "$ptx.tmp" "$cu"
    mv "$ptx.tmp" "$ptx"
done
