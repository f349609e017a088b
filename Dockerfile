# Pagoda on the CPU: the runtime image of scripts/package/jlink-image.sh (a jlink-trimmed JDK 25,
# Pagoda's jars, the bundled stories260K) on a slim Debian.
#
#   docker build -t pagoda .
#   docker run --rm -p 8000:8000 pagoda                                  # serves stories260K
#   docker run --rm -p 8000:8000 -v ~/.cache/huggingface:/root/.cache/huggingface \
#       pagoda serve Qwen/Qwen2.5-0.5B-Instruct --host 0.0.0.0           # a Hugging Face model
#   docker run --rm -it pagoda chat                                      # any other command
#
# The build stage runs the same script as `./pagoda package` (RuntimeImageTest checks it).

FROM eclipse-temurin:25-jdk AS build
# Maven only bootstraps the project's Maven wrapper (./pagoda does that by itself).
RUN apt-get update && apt-get install -y --no-install-recommends maven && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN PAGODA_JAVA_HOME=/opt/java/openjdk scripts/package/jlink-image.sh /opt/pagoda

FROM debian:trixie-slim
COPY --from=build /opt/pagoda /opt/pagoda
ENV PATH=/opt/pagoda/bin:$PATH
EXPOSE 8000
ENTRYPOINT ["pagoda"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
