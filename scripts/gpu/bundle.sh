#!/usr/bin/env bash
# Builds one folder that a bare GPU host (no JDK, no Maven, no network) runs the GPU tests, the
# decode benchmark and the OpenAI server (serve --device cuda) from:
#   runtime.tar.xz   a jlink'ed Java runtime (the modules the jars need, incl. jdk.incubator.vector
#                    and jdk.unsupported), compressed
#   lib/             the module jars and their dependencies (JCuda and its natives included; the
#                    http module's too: picocli, Javalin/Jetty, Jackson, Prometheus)
#   junit/           JUnit's standalone console launcher
#   test-classes/    backend-cuda's and conformance's compiled tests
#   repo/            the test models (Fixtures resolve them under -Dpagoda.repoRoot)
#   run-on-gpu.sh    the command to run there (see that file)
#   serve-on-gpu.sh  starts serve --device cuda, queries it, stops it (see that file)
#   serve-models-on-gpu.sh  GPU conformance/sampling tests, ./pagoda conformance --device cuda, and
#                    serve-on-gpu.sh on stories260K and a random-weight Llama-3-8B shape (see that file)
# The whole folder must stay under 64 MiB (what the device machine accepts); this script checks.
#
#   scripts/gpu/bundle.sh [OUT_DIR]      (default: target/gpu-bundle)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/target/gpu-bundle}"
cd "$root"
junit_platform_version=1.13.4 # the platform release of the junit-bom in the parent pom (Jupiter 5.13.4)

echo "bundle: building backend-cuda, conformance and http (kernels compiled by nvcc)" >&2
./pagoda mvn -q -B -pl backend-cuda,conformance,http -am package dependency:build-classpath \
  -DskipTests -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=test >&2
if [ -f backend-cuda/target/generated-resources/ptx/dev/pagoda/backend/cuda/KERNELS-NOT-BUILT.txt ]; then
  echo "bundle: nvcc was not found, the CUDA kernels were not built; a GPU bundle without kernels is useless" >&2
  exit 1
fi
java_home="$(./pagoda mvn -v 2>/dev/null | sed -n 's/.*runtime: //p' | head -1)"
[ -x "$java_home/bin/jlink" ] || { echo "bundle: no jlink in '$java_home'" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out/lib" "$out/junit" "$out/test-classes" "$out/repo/models" "$out/repo/conformance/src/test"
# Module jars and dependencies; JUnit's own jars are inside the standalone launcher.
for f in backend-cuda/target/classpath.txt conformance/target/classpath.txt http/target/runtime-classpath.txt; do tr ':' '\n' < "$f"; done \
  | sort -u | grep -v -E '/(org/junit|org/opentest4j|org/apiguardian|org/openjdk/jmh)/' \
  | while read -r jar; do [ -f "$jar" ] && cp "$jar" "$out/lib/"; done
cp backend-cuda/target/pagoda-backend-cuda-*.jar conformance/target/pagoda-conformance-*.jar http/target/pagoda-http-*.jar "$out/lib/" 2>/dev/null || true
rm -f "$out"/lib/pagoda-http-*-tests.jar
rm -f "$out"/lib/*-tests.jar.original
cp -r backend-cuda/target/test-classes "$out/test-classes/backend-cuda"
cp -r conformance/target/test-classes "$out/test-classes/conformance"
rm -rf "$out/test-classes/conformance/models" "$out/test-classes/conformance/goldens" # read through repo/ instead
cp -r models/stories260k "$out/repo/models/"
cp -r conformance/src/test/resources "$out/repo/conformance/src/test/"
# A random-weight Llama-3-8B-shaped model for serve-models-on-gpu.sh: Llama 3.1 8B's config.json
# (engine's test resources) and tokenizer (the fetched fixtures, xz'ed: 9 MB → 2 MB); the weights
# are drawn on the GPU host (--load-format dummy).
tok="${PAGODA_FETCHED_FIXTURES:-$HOME/.cache/pagoda-fixtures}/tokenizers/llama3_1"
if [ -f "$tok/tokenizer.json" ]; then
  mkdir -p "$out/repo/models/llama3-8b-dummy"
  cp engine/src/test/resources/dev/pagoda/engine/model/configs/llama3.1-8b-instruct.json "$out/repo/models/llama3-8b-dummy/config.json"
  cp "$tok/tokenizer_config.json" "$out/repo/models/llama3-8b-dummy/"
  xz -9 -c "$tok/tokenizer.json" > "$out/repo/models/llama3-8b-dummy/tokenizer.json.xz"
else
  echo "bundle: no Llama 3.1 tokenizer in $tok (./pagoda fetch-fixtures): serve-models-on-gpu.sh will skip the 8B model" >&2
fi
./pagoda mvn -q -B -N dependency:copy -Dartifact="org.junit.platform:junit-platform-console-standalone:$junit_platform_version" \
  -DoutputDirectory="$out/junit" >&2
mv "$out"/junit/junit-platform-console-standalone-*.jar "$out/junit/junit-platform-console-standalone.jar"

# The runtime (uncompressed by jlink: xz over plain class files packs far tighter than over zip):
# the modules jdeps finds in the jars, plus what JUnit and JCuda need at run time.
modules="$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 \
  -q --class-path "$out/lib/*" "$out"/lib/*.jar 2>/dev/null || true)"
# java.naming, java.sql and java.desktop (java.beans): Jetty and Jackson reach for them reflectively;
# jdk.jfr: Flight Recorder profiles on the GPU host (sweep-and-http.sh JFR=1).
modules="${modules:+$modules,}java.base,java.logging,java.xml,java.management,java.naming,java.sql,java.desktop,jdk.incubator.vector,jdk.unsupported,jdk.jfr"
echo "bundle: jlink --add-modules $modules" >&2
"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --compress=zip-0 --output "$out/runtime"
(cd "$out" && XZ_OPT=-9 tar -cJf runtime.tar.xz runtime && rm -rf runtime)
cp scripts/gpu/run-on-gpu.sh scripts/gpu/serve-on-gpu.sh scripts/gpu/serve-models-on-gpu.sh "$out/"
chmod +x "$out/run-on-gpu.sh" "$out/serve-on-gpu.sh" "$out/serve-models-on-gpu.sh"

size_kib=$(du -sk "$out" | cut -f1)
echo "bundle: $out is $((size_kib / 1024)) MiB" >&2
if [ "$size_kib" -ge $((64 * 1024)) ]; then
  echo "bundle: over the 64 MiB a GPU host accepts" >&2
  exit 1
fi
