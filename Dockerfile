# syntax=docker/dockerfile:1
# The image of the Fargate task for objects too big for one Lambda (template.yaml,
# LargeObjectTaskDefinition): it runs `sift run s3://BUCKET/KEY --json` with the function's
# settings in SIFT_* environment variables. Build and push: lambda/DEPLOY.md, "Large objects".
#
#   docker buildx build --platform linux/arm64 -t sift:dev .
#
# Two stages: a Rust toolchain builds the `sift` binary; the runtime is Debian slim with the CA
# certificates, that binary and the shipped contracts. Both are Debian 12 (bookworm), so the
# binary runs against the glibc it was linked with.

# The workspace's rust-version (Cargo.toml). There is no rust-toolchain file; any newer 1.x
# builds it too (--build-arg RUST_VERSION=1).
ARG RUST_VERSION=1.95

# ---------------------------------------------------------------- build
# The builder runs on the build machine's own platform and cross-compiles for the target one:
# compiling polars for arm64 under qemu emulation on an x86 machine would take hours. On an arm64
# machine (or for an amd64 image on x86) it is a plain native build.
FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-bookworm AS builder
ARG TARGETARCH
ARG BUILDARCH
WORKDIR /src
COPY . .
# SQLX_OFFLINE: the query macros check against the committed .sqlx/ data, not a live database.
# --locked: exactly the dependencies of Cargo.lock. The cache mounts keep the registry and the
# target directory between builds; the binary is copied out of them into /out. The script is
# quoted ('EOF'): the shell, not the Dockerfile, expands its variables (the ARGs are in its
# environment).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    <<'EOF'
set -eux
case "$TARGETARCH" in
    arm64) triple=aarch64-unknown-linux-gnu; gcc=gcc-aarch64-linux-gnu; libc=libc6-dev-arm64-cross; prefix=aarch64-linux-gnu ;;
    amd64) triple=x86_64-unknown-linux-gnu; gcc=gcc-x86-64-linux-gnu; libc=libc6-dev-amd64-cross; prefix=x86_64-linux-gnu ;;
    *) echo "unsupported target architecture: $TARGETARCH" >&2; exit 1 ;;
esac
if [ "$TARGETARCH" != "$BUILDARCH" ]; then
    # The C parts of the dependencies (ring, jemalloc, bundled SQLite, zstd, lz4) need a C
    # compiler for the target, and cargo a linker for it.
    apt-get update
    apt-get install -y --no-install-recommends "$gcc" "$libc"
    rm -rf /var/lib/apt/lists/*
    env=$(echo "$triple" | tr 'a-z-' 'A-Z_')
    export "CARGO_TARGET_${env}_LINKER=$prefix-gcc"
    export "CC_$(echo "$triple" | tr '-' '_')=$prefix-gcc"
    export "AR_$(echo "$triple" | tr '-' '_')=$prefix-ar"
fi
rustup target add "$triple"
SQLX_OFFLINE=true cargo build --release --locked -p sift-cli --bin sift --target "$triple"
mkdir -p /out
cp "target/$triple/release/sift" /out/sift
EOF

# ---------------------------------------------------------------- runtime
# No RUN in this stage: nothing executes on the target platform, so an arm64 image builds on an
# x86 machine without qemu.
FROM debian:bookworm-slim
# The CA certificates (Debian's ca-certificates bundle, from the bookworm builder): the AWS SDK's
# HTTPS client (rustls, no OpenSSL) trusts the system's roots. Nothing else: the binary needs
# only glibc besides.
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
COPY --from=builder /out/sift /usr/local/bin/sift
# The shipped contracts, so a route can name /etc/sift/contracts/orders.toml (or, from this
# working directory, contracts/orders.toml, as the Lambda reads a path relative to its package).
COPY contracts/ /etc/sift/contracts/
WORKDIR /etc/sift
# Not root (a numeric user needs no /etc/passwd entry): sift needs no privilege. The task's root
# filesystem is read-only (ReadonlyRootFilesystem) and sift writes nothing locally there:
# invalid records go to S3, the load to PostgreSQL, the report through SES.
USER 10001:10001
ENTRYPOINT ["sift"]
# The task's command comes from the EventBridge rule (`run s3://BUCKET/KEY --json`) or from
# `aws ecs run-task --overrides`; alone, the image prints its usage.
CMD ["--help"]
