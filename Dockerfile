# papers in a container: one binary (templates, static files and migrations inside it) on a
# slim Debian, as a non-root user, with its data dir on the /data volume.
#
#   docker build -t papers .            (podman build -t papers . works the same)
#   docker compose up -d                (with PostgreSQL; see docker-compose.yml)
#
# The build stage compiles with the official Rust image. To package a binary built outside
# instead (tests/container.rs does, where images cannot be pulled), put it and a CA bundle
# in target/container/ and build with --build-arg BUILDER=prebuilt.
ARG RUST_IMAGE=docker.io/library/rust:1-slim-bookworm
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
ARG BUILDER=build

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin papers \
    && install -D target/release/papers /out/usr/local/bin/papers \
    && install -D /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt

FROM ${BASE_IMAGE} AS prebuilt
COPY target/container/papers /out/usr/local/bin/papers
COPY target/container/ca-certificates.crt /out/etc/ssl/certs/ca-certificates.crt

FROM ${BUILDER} AS binary

FROM ${BASE_IMAGE}
COPY --from=binary /out/ /
# The data dir, owned by the user the server runs as (a named volume starts as a copy).
COPY --chown=10001:10001 docker/data/ /data/
USER 10001:10001
ENV PAPERS_DATA_DIR=/data \
    PAPERS_BIND=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["papers", "healthcheck"]
ENTRYPOINT ["papers"]
CMD ["serve"]
