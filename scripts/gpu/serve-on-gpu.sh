#!/usr/bin/env bash
# Runs on a bare GPU host, from the folder scripts/gpu/bundle.sh built: starts
# `pagoda serve --device cuda` on the bundled stories260K (or MODEL_DIR) in the background, waits
# until /health answers 200 (the conformance self-check and the memory plan run first), queries
# /health, /v1/models and one /v1/completions, stops the server (SIGTERM: a graceful drain) and
# writes into OUT_DIR:
#   serve.log              the server's log (self-check report, memory plan, requests)
#   health.txt, models.json, completion.json   the answers
# Exit status: 0 when the server came up and answered all three; the server's exit status when it
# refused to start (e.g. the self-check failed).
#
#   bash serve-on-gpu.sh OUT_DIR [extra serve args...]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: serve-on-gpu.sh OUT_DIR [serve args...]}"
shift
mkdir -p "$out"
jre="$(mktemp -d)"
tar -xJf "$here/runtime.tar.xz" -C "$jre"
java="$jre/runtime/bin/java"
port="${PORT:-8000}"

cp=""
for jar in "$here"/lib/*.jar; do cp="$cp${cp:+:}$jar"; done
"$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Dpagoda.home="$here/repo" -cp "$cp" \
  dev.pagoda.cli.Main serve --device cuda --port "$port" --host 127.0.0.1 "$@" > "$out/serve.log" 2>&1 &
pid=$!

get() { # get PATH [JSON_BODY]: prints the body and the status code
  if command -v curl >/dev/null; then
    if [ -n "${2:-}" ]; then curl -s -w '\nHTTP %{http_code}\n' -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$port$1"
    else curl -s -w '\nHTTP %{http_code}\n' "http://127.0.0.1:$port$1"; fi
  else
    python3 - "$port" "$1" "${2:-}" <<'PY'
import sys, urllib.request, urllib.error
port, path, body = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body.encode() if body else None,
                             headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=60) as r: print(r.read().decode()); print("HTTP", r.status)
except urllib.error.HTTPError as e: print(e.read().decode()); print("HTTP", e.code)
except Exception as e: print(e); print("HTTP 000")
PY
  fi
}

status=1
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; echo "serve exited with status $status before it was ready"; break; fi
  if get /health | tail -1 | grep -q 'HTTP 200'; then status=0; break; fi
  sleep 0.5
done
if [ "$status" = 0 ]; then
  get /health | tee "$out/health.txt"
  get /v1/models | tee "$out/models.json"
  get /v1/completions '{"model":"stories260k","prompt":"Once upon a time","max_tokens":32,"temperature":0}' | tee "$out/completion.json"
  for f in health.txt models.json completion.json; do tail -1 "$out/$f" | grep -q 'HTTP 200' || status=1; done
  kill -TERM "$pid"
  wait "$pid"
fi
rm -rf "$jre"
exit "$status"
