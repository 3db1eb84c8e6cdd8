#!/bin/sh
# One-shot (temporalio/admin-tools image): creates Temporal's two databases on first start
# and applies every pending schema version on each start, so upgrading the server image only
# needs `docker compose up` again. Replaces the deprecated temporalio/auto-setup image.
set -eu
sql() { temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" -u "$POSTGRES_USER" "$@"; }  # password: SQL_PASSWORD
for db in temporal temporal_visibility; do
  case $db in temporal) dir=temporal ;; *) dir=visibility ;; esac
  sql --db "$db" create-database 2>/dev/null || echo "database $db exists"
  # Version 0.0 creates the schema_version table on an empty database; on later starts it
  # already exists and update-schema alone brings the schema up to date.
  sql --db "$db" setup-schema -v 0.0 2>/dev/null || echo "schema of $db already initialised"
  sql --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "Temporal schema is up to date"
