#!/usr/bin/env bash
# Installs and starts PostgreSQL from Debian's packages and creates the role and database that
# crates/custos-store/tests/postgres.rs uses by default
# (postgres://custos:custos@127.0.0.1:5432/custos_test). Idempotent: safe to run again.
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
echo "PostgreSQL $version is up: postgres://custos:custos@127.0.0.1:5432/custos_test"
