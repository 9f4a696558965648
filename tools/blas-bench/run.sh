#!/usr/bin/env bash
# Single-threaded sgemm benchmark: OpenBLAS vs BLIS vs oneDNN (one process,
# libraries interleaved per shape). Usage: ./run.sh [seconds-per-shape-per-lib]
# Optional: OPENBLAS_LIB=/path/libopenblas.so.0 BLIS_LIB=/path/libblis.so.4
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
gcc -O2 -std=c11 -Wall -fopenmp -o build/sgemm_bench sgemm_bench.c -ldnnl -ldl -lm
exec ./build/sgemm_bench "${1:-0.25}"
