# Sourced: start a throwaway PostgreSQL cluster on a free loopback port and export PG_URL.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_dir=$(mktemp -d /tmp/earlywarn-pg.XXXXXX)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
run_pg() { if [ "$(id -u)" = 0 ]; then chown -R postgres "$pg_dir"; su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run_pg "$pg_bin/initdb -D $pg_dir/data -U earlywarn --auth=trust -E UTF8 >/dev/null"
run_pg "$pg_bin/pg_ctl -D $pg_dir/data -o '-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' -l $pg_dir/log -w start >/dev/null"
trap 'run_pg "$pg_bin/pg_ctl -D $pg_dir/data -m immediate stop >/dev/null" || true' EXIT
export PG_URL="postgres://earlywarn@127.0.0.1:$pg_port/postgres"
echo "   PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on port $pg_port"
