#!/usr/bin/env bash
# Runs the CPU backend's JMH benchmarks (they live in the test sources).
#   backend-cpu/bench.sh                      all benchmarks
#   backend-cpu/bench.sh MatVecBenchmark      a subset (any JMH arguments: regex, -p, -f, -wi, -i ...)
# Results and the command line go into docs/benchmarks-cpu.md by hand.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cp_file="$root/backend-cpu/target/bench-classpath.txt"
# One Maven session, so that the engine resolves to its freshly built classes (the last module written wins: backend-cpu).
./pagoda mvn -q -B -pl backend-cpu -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
java_home="$(./pagoda mvn -v 2>/dev/null | sed -n 's/^Java version.*runtime: //p')"
exec "$java_home/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "backend-cpu/target/test-classes:backend-cpu/target/classes:$(cat "$cp_file")" org.openjdk.jmh.Main "$@"
