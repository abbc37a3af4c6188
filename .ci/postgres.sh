#!/usr/bin/env bash
# Starts a local PostgreSQL for the tests and prints the TEST_DATABASE_URL to use (an admin role that
# may CREATE DATABASE: every test run creates its own database and drops it). Idempotent: installs
# the server when absent, starts the cluster when down, (re)sets the role's password.
# Run as root (the server itself runs as the postgres user). Loopback only, password auth.
set -euo pipefail
# Only the URL goes to standard output (the caller captures it): whatever the tools print, such as
# pg_ctlcluster's "Removed stale pid file." after a killed server, goes to standard error.
exec 3>&1 1>&2
ROLE=${TL_TEST_PG_ROLE:-token_ledger_test}
PASSWORD=${TL_TEST_PG_PASSWORD:-token-ledger-test}
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ -z "$(pg_lsclusters --no-header)" ]; then
  # Installed without its default cluster (create_main_cluster = false): make one.
  pg_createcluster "$(ls /usr/lib/postgresql | sort -V | tail -n 1)" main >/dev/null
fi
read -r VERSION CLUSTER PORT STATUS _ < <(pg_lsclusters --no-header | head -n 1)
if [ "$STATUS" != "online" ]; then
  pg_ctlcluster "$VERSION" "$CLUSTER" start 3>&- # the server must not hold the caller's pipe open
fi
# From /, which the postgres user can read (a checkout under a private temporary folder is not).
cd /
su postgres -c "psql -p $PORT -v ON_ERROR_STOP=1 -qAt" >/dev/null <<SQL
SET client_min_messages = warning;
SELECT 'CREATE ROLE $ROLE LOGIN CREATEDB' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$ROLE')
\gexec
ALTER ROLE $ROLE WITH LOGIN CREATEDB PASSWORD '$PASSWORD';
-- DROP DATABASE … WITH (FORCE) at the end of a test run may have to end an autovacuum worker there.
GRANT pg_signal_backend TO $ROLE;
SQL
URL="postgres://$ROLE:$PASSWORD@127.0.0.1:$PORT/postgres"
# Fails here, naming the cause, rather than in every PostgreSQL test.
PGPASSWORD=$PASSWORD psql "postgresql://$ROLE@127.0.0.1:$PORT/postgres" -v ON_ERROR_STOP=1 -qAtc 'SELECT 1' >/dev/null
echo "$URL" >&3
