#!/usr/bin/env bash
# The GPU bundle (scripts/gpu/bundle.sh: runtime, jars, kernels) plus what the side-by-side run needs:
# side-by-side.sh, sweep-and-http.sh, engine-step-ab.sh, hf-baseline.py, report.py, the model configs (scripts/bench/configs) and the Qwen2.5
# tokenizer (xz'ed, from the fetched test fixtures; both random-weight models use it: the benchmarks
# send token ids, and ids above a model's vocabulary are never sent). Checked < 64 MiB like bundle.sh.
#
#   scripts/gpu/bench-bundle.sh [OUT_DIR]      (default: target/gpu-bench-bundle)
#   then, on the GPU host: bash OUT_DIR/side-by-side.sh RESULTS_DIR
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$(mkdir -p "${1:-$root/target/gpu-bench-bundle}" && cd "${1:-$root/target/gpu-bench-bundle}" && pwd)" # absolute: the tokenizer is tarred from another directory
fixtures="${PAGODA_FIXTURES:-$HOME/.cache/pagoda-fixtures}"
[ -f "$fixtures/tokenizers/qwen2_5/tokenizer.json" ] || { echo "bench-bundle: no Qwen2.5 tokenizer in $fixtures (./pagoda fetch-fixtures)" >&2; exit 1; }
"$root/scripts/gpu/bundle.sh" "$out"
cp "$root"/scripts/gpu/side-by-side.sh "$root"/scripts/gpu/sweep-and-http.sh "$root"/scripts/gpu/engine-step-ab.sh "$root"/scripts/gpu/hf-baseline.py "$root"/scripts/gpu/report.py "$out/"
mkdir -p "$out/configs"
cp "$root"/scripts/bench/configs/*.json "$out/configs/"
(cd "$fixtures/tokenizers/qwen2_5" && XZ_OPT=-9 tar -cJf "$out/qwen2_5-tokenizer.tar.xz" tokenizer.json tokenizer_config.json)
chmod +x "$out/side-by-side.sh"
size_kib=$(du -sk "$out" | cut -f1)
echo "bench-bundle: $out is $((size_kib / 1024)) MiB" >&2
[ "$size_kib" -lt $((64 * 1024)) ] || { echo "bench-bundle: over the 64 MiB a GPU host accepts" >&2; exit 1; }
