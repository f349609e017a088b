#!/usr/bin/env bash
# Runs on a bare GPU host, from the folder scripts/gpu/bundle.sh built: starts
# `pagoda serve --device cuda` on the bundled stories260K (or --model DIR among the serve args) in
# the background, waits until /health answers 200 (the conformance self-check and the memory plan
# run first), queries /health, /v1/models and one /v1/completions, then the OpenAI API's other
# shapes (a seeded sampled completion with logprobs, a chat completion, a streamed completion and a
# streamed chat, a 256-token greedy completion and 8 concurrent ones for tokens/s), stops the server
# (SIGTERM: a graceful drain) and writes into OUT_DIR:
#   serve.log              the server's log (self-check report, memory plan, requests)
#   health.txt, models.json, completion.json   the first answers
#   transcript.txt         every request and its answer (SSE bodies as received), with timings
# Environment: PORT (8000), DEVICE (cuda; cpu to try the script without a GPU), READY_TIMEOUT (150 s),
# PAGODA_JAVA_OPTS (extra JVM flags, e.g. -Dpagoda.cuda.sampling=device).
# Exit status: 0 when the server came up and answered everything with 200; the server's exit
# status when it refused to start (e.g. the self-check failed).
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
# shellcheck disable=SC2086 # PAGODA_JAVA_OPTS is a list of flags
"$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED ${PAGODA_JAVA_OPTS:-} -Dpagoda.home="$here/repo" -cp "$cp" \
  dev.pagoda.cli.Main serve --device "${DEVICE:-cuda}" --port "$port" --host 127.0.0.1 "$@" > "$out/serve.log" 2>&1 &
pid=$!
# Stopped from outside (timeout, Ctrl-C): stop the server too, so that it frees the GPU and the port.
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$jre"; exit 124' TERM INT

get() { # get PATH [JSON_BODY]: prints the body and the status code
  if command -v curl >/dev/null; then
    if [ -n "${2:-}" ]; then curl -s -m 180 -w '\nHTTP %{http_code}\n' -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$port$1"
    else curl -s -m 180 -w '\nHTTP %{http_code}\n' "http://127.0.0.1:$port$1"; fi
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
for _ in $(seq 1 $((2 * ${READY_TIMEOUT:-150}))); do # READY_TIMEOUT: seconds to wait for /health
  if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; echo "serve exited with status $status before it was ready"; break; fi
  if get /health | tail -1 | grep -q 'HTTP 200'; then status=0; break; fi
  sleep 0.5
done
if [ "$status" = 0 ]; then
  get /health | tee "$out/health.txt"
  get /v1/models | tee "$out/models.json"
  model="$(sed -n 's/.*"id" *: *"\([^"]*\)".*/\1/p' "$out/models.json" | head -1)"
  get /v1/completions '{"model":"'"$model"'","prompt":"Once upon a time","max_tokens":32,"temperature":0}' | tee "$out/completion.json"
  for f in health.txt models.json completion.json; do tail -1 "$out/$f" | grep -q 'HTTP 200' || status=1; done
  ask() { # ask NAME PATH BODY: one request into the transcript, with its wall time
    local t0 t1 answer
    t0=$(date +%s.%N)
    answer="$(get "$2" "$3")"
    t1=$(date +%s.%N)
    printf '### %s: POST %s\n%s\n--- %.3f s\n%s\n\n' "$1" "$2" "$3" "$(awk "BEGIN{print $t1 - $t0}")" "$answer" >> "$out/transcript.txt"
    echo "$answer" | tail -1 | grep -q 'HTTP 200' || { echo "$1: not 200"; status=1; }
  }
  : > "$out/transcript.txt"
  ask "greedy completion" /v1/completions '{"model":"'"$model"'","prompt":"Once upon a time","max_tokens":64,"temperature":0}'
  ask "seeded sampled completion, logprobs" /v1/completions '{"model":"'"$model"'","prompt":"The little dog","max_tokens":32,"temperature":0.8,"top_p":0.95,"top_k":40,"seed":7,"logprobs":2}'
  ask "chat completion" /v1/chat/completions '{"model":"'"$model"'","messages":[{"role":"user","content":"Tell me a story about a cat."}],"max_tokens":48,"temperature":0.7,"seed":1}'
  ask "streamed completion" /v1/completions '{"model":"'"$model"'","prompt":"Lily had a ball","max_tokens":24,"temperature":0,"stream":true}'
  ask "streamed chat" /v1/chat/completions '{"model":"'"$model"'","messages":[{"role":"user","content":"Hello!"}],"max_tokens":24,"temperature":0.5,"seed":3,"stream":true,"stream_options":{"include_usage":true}}'
  ask "single stream, 256 tokens" /v1/completions '{"model":"'"$model"'","prompt":"Once upon a time","max_tokens":256,"temperature":0,"ignore_eos":true}'
  t0=$(date +%s.%N)
  clients=()
  for i in 1 2 3 4 5 6 7 8; do
    get /v1/completions '{"model":"'"$model"'","prompt":"Story number '"$i"':","max_tokens":128,"temperature":0.8,"seed":'"$i"',"ignore_eos":true}' > "$out/.concurrent-$i" &
    clients+=($!)
  done
  wait "${clients[@]}"
  t1=$(date +%s.%N)
  printf '### 8 concurrent completions of 128 tokens: %.3f s wall\n' "$(awk "BEGIN{print $t1 - $t0}")" >> "$out/transcript.txt"
  for i in 1 2 3 4 5 6 7 8; do cat "$out/.concurrent-$i" >> "$out/transcript.txt"; tail -1 "$out/.concurrent-$i" | grep -q 'HTTP 200' || status=1; rm -f "$out/.concurrent-$i"; done
  kill -TERM "$pid"
  wait "$pid"
fi
rm -rf "$jre"
exit "$status"
