#!/usr/bin/env bash
# Installs and starts PostgreSQL from Debian's packages and creates the role and database that
# crates/custos-store/tests/postgres.rs uses by default
# (postgres://custos:custos@127.0.0.1:5432/custos_test), and turns TLS on with a certificate for
# `localhost` signed by a test CA, whose PEM file it leaves at $TLS_DIR/ca.pem for the TLS tests
# (CUSTOS_TEST_POSTGRES_CA). Idempotent: safe to run again.
# Runs as root (CI) or through sudo.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
as_postgres() { as_root su postgres -c "$1"; }

if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql >/dev/null
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
    as_root pg_createcluster "$version" main
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
    as_root pg_ctlcluster "$version" main start
fi

for _ in $(seq 1 30); do
    as_postgres "pg_isready -q" && break
    sleep 1
done

if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'custos'\"" | grep -q 1; then
    as_postgres "psql -q -c \"CREATE ROLE custos LOGIN SUPERUSER PASSWORD 'custos'\""
fi
if ! as_postgres "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'custos_test'\"" | grep -q 1; then
    as_postgres "createdb -O custos custos_test"
fi
TLS_DIR=/var/lib/postgresql/custos-tls
if ! command -v openssl >/dev/null 2>&1; then
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq openssl >/dev/null
fi
if ! as_root test -f "$TLS_DIR/server.pem"; then
    as_root mkdir -p "$TLS_DIR"
    as_root openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=custos test CA" \
        -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.pem" 2>/dev/null
    as_root openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$TLS_DIR/server.key" -out "$TLS_DIR/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost\n' | as_root tee "$TLS_DIR/san.ext" >/dev/null
    as_root openssl x509 -req -in "$TLS_DIR/server.csr" -CA "$TLS_DIR/ca.pem" -CAkey "$TLS_DIR/ca.key" \
        -CAcreateserial -days 3650 -extfile "$TLS_DIR/san.ext" -out "$TLS_DIR/server.pem" 2>/dev/null
    as_root chown -R postgres:postgres "$TLS_DIR"
    as_root chmod 755 "$TLS_DIR"
    as_root chmod 644 "$TLS_DIR/ca.pem" "$TLS_DIR/server.pem"
    as_root chmod 600 "$TLS_DIR/server.key" "$TLS_DIR/ca.key"
fi
as_postgres "psql -q -c \"ALTER SYSTEM SET ssl_cert_file = '$TLS_DIR/server.pem'\" \
    -c \"ALTER SYSTEM SET ssl_key_file = '$TLS_DIR/server.key'\" \
    -c \"ALTER SYSTEM SET ssl = on\" -c \"SELECT pg_reload_conf()\"" >/dev/null

echo "PostgreSQL $version is up: postgres://custos:custos@127.0.0.1:5432/custos_test (TLS CA: $TLS_DIR/ca.pem)"
