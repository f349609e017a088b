#!/usr/bin/env bash
# Compiles every .cu file under SRC_DIR to PTX under OUT_DIR, keeping the package path:
#   dev/pagoda/backend/cuda/PagedAttention.cu → OUT_DIR/dev/pagoda/backend/cuda/PagedAttention.compute_80.ptx
#                                               OUT_DIR/dev/pagoda/backend/cuda/PagedAttention.compute_90.ptx
# PTX (not cubin) so that the driver JIT-compiles it for whatever GPU runs it (A100 and newer).
# No nvcc: writes KERNELS-NOT-BUILT.txt and exits 0 (the backend reports it at start).
# With nvcc: any compile error fails the build (CI has nvcc, so a broken kernel fails CI).
# NVCC=/path/to/nvcc picks one; NVCC=none builds without kernels (to try that path).
set -euo pipefail
src="$1"; out="$2"; classes="${3:-}" # classes: target/classes, where a stale marker must not survive a rebuild with nvcc
nvcc_bin=""
[ "${NVCC:-}" = none ] || for c in "${NVCC:-}" "$(command -v nvcc || true)" "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
  if [ -n "$c" ] && [ -x "$c" ]; then nvcc_bin="$c"; break; fi
done
marker="$out/dev/pagoda/backend/cuda/KERNELS-NOT-BUILT.txt"
mkdir -p "$out/dev/pagoda/backend/cuda"
if [ -z "$nvcc_bin" ]; then
  echo "compile-kernels: nvcc not found (PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin); the CUDA kernels are NOT built" >&2
  find "$out" -name '*.ptx' -delete # no stale kernels beside the marker
  echo "nvcc was not found when this jar was built; the CUDA backend has no kernels." > "$marker"
  exit 0
fi
rm -f "$marker"
[ -n "$classes" ] && rm -f "$classes/dev/pagoda/backend/cuda/KERNELS-NOT-BUILT.txt"
count=0
while IFS= read -r -d '' cu; do
  rel="${cu#"$src"/}"; base="${rel%.cu}"
  mkdir -p "$out/$(dirname "$rel")"
  for arch in compute_80 compute_90; do
    ptx="$out/$base.$arch.ptx"
    if [ ! -f "$ptx" ] || [ "$cu" -nt "$ptx" ]; then
      "$nvcc_bin" --ptx -arch="$arch" -O3 -std=c++17 -Werror all-warnings -o "$ptx" "$cu"
    fi
  done
  count=$((count + 1))
done < <(find "$src" -name '*.cu' -print0 | sort -z)
echo "compile-kernels: $count .cu files compiled to PTX with $nvcc_bin" >&2
