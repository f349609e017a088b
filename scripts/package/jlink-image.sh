#!/usr/bin/env bash
# Builds a self-contained Pagoda runtime image: a jlink-trimmed JDK 25, the application jars and
# the bundled stories260K, with bin/pagoda as the launcher. Needs nothing installed to run:
#
#   scripts/package/jlink-image.sh [OUT_DIR]        (default OUT_DIR: target/pagoda-image)
#   OUT_DIR/bin/pagoda serve --port 8000            (or generate, chat, explain-memory, …)
#
# Options (environment):
#   PAGODA_SKIP_BUILD=1    use the jars of the last ./pagoda build instead of building first
#   PAGODA_SMOKE_TEST=0    skip the final check (bin/pagoda --version and a 4-token generate)
#   PAGODA_JLINK=0         no jdeps/jlink: bin/java links to the build JDK (a fast check of the rest)
#
# Layout of OUT_DIR:
#   bin/java, lib/, conf/, …   the trimmed JDK (jlink: only the modules jdeps finds the jars use)
#   bin/pagoda                 the launcher (the same JVM flags as ./pagoda)
#   app/*.jar                  Pagoda's modules and their dependencies
#   models/stories260k/        the default model
# The Dockerfiles run this script in their build stage.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/target/pagoda-image}"
say() { echo "jlink-image: $*" >&2; }

if [ "${PAGODA_SKIP_BUILD:-0}" != 1 ]; then "$root/pagoda" build; fi
cp_file="$root/http/target/runtime-classpath.txt"
app_jar="$(ls "$root"/http/target/pagoda-http-*.jar 2>/dev/null | grep -v -- '-tests\.jar$' | head -1 || true)"
[ -f "$cp_file" ] && [ -n "$app_jar" ] || { say "no build found (http/target/runtime-classpath.txt, pagoda-http jar); run ./pagoda build"; exit 1; }

# The JDK that ./pagoda uses (JDK 25+, with jlink and jdeps).
jdk="$("$root/pagoda" java-home 2>/dev/null || true)"
[ -x "$jdk/bin/jlink" ] || { say "could not find a JDK 25 with jlink (set PAGODA_JAVA_HOME)"; exit 1; }

rm -rf "$out"
jars=("$app_jar")
mapfile -t deps < <(tr ':' '\n' < "$cp_file" | grep -v '^$')
jars+=("${deps[@]}")

if [ "${PAGODA_JLINK:-1}" = 0 ]; then
  # The fast layout check (RuntimeImageTest): the same image, but bin/java is the build JDK's.
  say "PAGODA_JLINK=0: linking bin/java to $jdk instead of a trimmed JDK"
  mkdir -p "$out/bin"
  ln -s "$jdk/bin/java" "$out/bin/java"
else
  # Which JDK modules the jars need, plus those used only reflectively or at run time:
  # jdk.unsupported (sun.misc.Unsafe: Jetty, JCuda's loaders), java.logging (the System.Logger
  # backend), java.management (Jetty's optional JMX), jdk.incubator.vector (the CPU kernels).
  say "finding the JDK modules the application uses (jdeps)"
  modules="$("$jdk/bin/jdeps" --multi-release 25 --ignore-missing-deps --print-module-deps \
    --class-path "$(IFS=:; echo "${jars[*]}")" "${jars[@]}" 2>/dev/null | tail -1)"
  modules="$modules,jdk.unsupported,java.logging,java.management,jdk.incubator.vector"
  say "modules: $modules"
  say "linking the runtime into $out"
  "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
    --compress=zip-6 --output "$out"
fi

mkdir -p "$out/app" "$out/models"
for j in "${jars[@]}"; do cp "$j" "$out/app/"; done
cp -r "$root/models/stories260k" "$out/models/"
cat > "$out/bin/pagoda" <<'LAUNCHER'
#!/bin/sh
# Pagoda launcher of a runtime image built by scripts/package/jlink-image.sh.
home="$(cd "$(dirname "$0")/.." && pwd)"
exec "$home/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -XX:+IgnoreUnrecognizedVMOptions ${PAGODA_JAVA_OPTS:-} -Dpagoda.home="$home" \
  -cp "$home/app/*" dev.pagoda.cli.Main "$@"
LAUNCHER
chmod +x "$out/bin/pagoda"
say "image: $out ($(du -sh "$out" | cut -f1)); run $out/bin/pagoda serve"

if [ "${PAGODA_SMOKE_TEST:-1}" != 0 ]; then
  "$out/bin/pagoda" --version
  "$out/bin/pagoda" generate --prompt "Once upon a time" --max-tokens 4 --threads 1 2>/dev/null
fi
