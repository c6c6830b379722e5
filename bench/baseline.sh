#!/usr/bin/env bash
# The script users write today without pgdest: for each destination, open an
# SSH tunnel to the bastion with `ssh -L`, run psql through it, close the
# tunnel. Every destination pays the SSH handshake and the database login,
# one destination after another.
#
#   bench/baseline.sh check|create DESTINATIONS_TSV
#
# DESTINATIONS_TSV has one destination per line, tab-separated: database host
# (as the bastion sees it), port, database, user, the name of the variable
# that holds the password, schema. The bastion comes from the environment:
# BASTION_HOST, BASTION_PORT, BASTION_USER, BASTION_KEY (a private key file),
# BASTION_KNOWN_HOSTS (an OpenSSH known_hosts file naming its key).
# `check` reports whether each schema exists; `create` creates it when missing.
set -euo pipefail

mode=$1
table=$2
control_dir=$(mktemp -d)
trap 'rm -rf "$control_dir"' EXIT
# A local port range of our own, below the ephemeral ports the kernel hands out.
local_port=$((10000 + RANDOM % 20000))

while IFS=$'\t' read -r db_host db_port db_name db_user password_var schema; do
  local_port=$((local_port + 1))
  control="$control_dir/tunnel"

  # The tunnel: -f goes to the background once authenticated, and with
  # ExitOnForwardFailure only once the local port listens. The control
  # socket lets us close exactly this tunnel afterwards.
  ssh -f -N -M -S "$control" \
    -F none -o BatchMode=yes -o ExitOnForwardFailure=yes \
    -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$BASTION_KNOWN_HOSTS" \
    -o IdentitiesOnly=yes -i "$BASTION_KEY" \
    -p "$BASTION_PORT" \
    -L "127.0.0.1:$local_port:$db_host:$db_port" \
    "$BASTION_USER@$BASTION_HOST"

  # The check (and the create) in one psql session; psql's default sslmode
  # is prefer, as pgdest's.
  if [ "$mode" = create ]; then
    sql="CREATE SCHEMA IF NOT EXISTS \"$schema\"; SELECT 1 FROM pg_namespace WHERE nspname = '$schema'"
  else
    sql="SELECT 1 FROM pg_namespace WHERE nspname = '$schema'"
  fi
  found=$(PGPASSWORD="${!password_var}" PGCONNECT_TIMEOUT=20 psql -X -q -t -A -v ON_ERROR_STOP=1 \
    "host=127.0.0.1 port=$local_port dbname=$db_name user=$db_user" -c "$sql")
  if [ "$found" != 1 ]; then echo "schema $schema is missing in $db_name" >&2; fi

  ssh -S "$control" -O exit "$BASTION_USER@$BASTION_HOST" 2>/dev/null
done <"$table"
