#!/usr/bin/env bash
# Rewrites the code excerpts of docs/paged-attention.md (and the other docs DocExcerptsTest lists)
# from the tagged regions of the source ("// region: NAME" … "// endregion"), then checks them.
# Run it after changing tagged code; reread the prose around each excerpt that changed (git diff docs/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
"$root/pagoda" mvn -q -B -pl conformance -am test -Dtest=DocExcerptsTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dpagoda.docs.update=true
git -C "$root" diff --stat -- docs/
