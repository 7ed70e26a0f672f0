# Sourced (from the repository root) by the scripts that need PostgreSQL or the AWS emulator.
#
#   ensure_postgres   DATABASE_URL, or a throwaway cluster (scripts/pg-throwaway) started here
#   ensure_moto       SIFT_MOTO_ENDPOINT, or moto[server] (scripts/moto-server) started here
#   ensure_cargo_lambda  SIFT_CARGO_LAMBDA, or cargo-lambda from PyPI (scripts/cargo-lambda)
#   stop_servers      stops only what these started: a server named by the caller's
#                     environment stays up (call it from the script's EXIT trap)

started_pg= started_moto=

ensure_postgres() {
    if [ -z "${DATABASE_URL:-}" ]; then
        eval "$(scripts/pg-throwaway)"
        started_pg=$SIFT_PG_DIR
        echo "$(basename "$0"): throwaway PostgreSQL at ${DATABASE_URL}" >&2
    fi
}

ensure_moto() {
    if [ -z "${SIFT_MOTO_ENDPOINT:-}" ]; then
        eval "$(scripts/moto-server)"
        started_moto=$SIFT_MOTO_PID
        echo "$(basename "$0"): AWS emulator (moto) at ${SIFT_MOTO_ENDPOINT}" >&2
    fi
}

ensure_cargo_lambda() {
    if [ -z "${SIFT_CARGO_LAMBDA:-}" ]; then
        eval "$(scripts/cargo-lambda)"
    fi
}

stop_servers() {
    if [ -n "$started_pg" ]; then scripts/pg-throwaway stop "$started_pg"; fi
    if [ -n "$started_moto" ]; then scripts/moto-server stop "$started_moto"; fi
}
