#!/usr/bin/env python3
"""Copy the benchmark data set from its SQLite file into a PostgreSQL database.

    python3 bench/load_pg.py DATA.db postgres://postgres@127.0.0.1:5432/DBNAME

The database must already have the console's tables (run any `ops-console`
command against it first, e.g. `createuser`, which creates and migrates them).
Rows go in with `COPY ... FROM STDIN (FORMAT csv)` through `psql`, table by table;
afterwards the id sequences are moved past the largest ids and the tables are
analyzed, so the planner has statistics. Standard library only (plus `psql`).
"""

import csv
import io
import sqlite3
import subprocess
import sys
import time

TABLES = {
    "account": [
        "id", "email", "company", "plan", "billing_state", "last_payment_result", "signup_at",
        "welcome_email_sent", "manual_review", "locked", "updated_at",
    ],
    "invoice": ["id", "account_id", "number", "amount_cents", "currency", "status", "issued_at"],
    "email_job": ["id", "account_id", "kind", "status", "attempts", "last_error", "updated_at"],
}
BOOLEAN = {"welcome_email_sent", "manual_review", "locked"}
BATCH = 50_000


def psql(url, *args, stdin=None):
    return subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, *args],
        stdin=stdin, check=True, stdout=subprocess.PIPE, text=True,
    ).stdout


def copy_table(src, url, table, columns):
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
         f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)"],
        stdin=subprocess.PIPE, text=True,
    )
    bools = [i for i, c in enumerate(columns) if c in BOOLEAN]
    cur = src.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
    n = 0
    while True:
        rows = cur.fetchmany(BATCH)
        if not rows:
            break
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for r in rows:
            if bools:
                r = list(r)
                for i in bools:
                    r[i] = "t" if r[i] else "f"
            w.writerow(r)
        proc.stdin.write(buf.getvalue())
        n += len(rows)
    proc.stdin.close()
    if proc.wait() != 0:
        sys.exit(f"load_pg: COPY into {table} failed")
    print(f"load_pg: {table}: {n:,} rows in {time.perf_counter() - started:.1f}s", file=sys.stderr)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    path, url = sys.argv[1], sys.argv[2]
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    present = psql(url, "-At", "-c", "SELECT count(*) FROM account").strip()
    if present != "0":
        sys.exit(f"load_pg: {url} already has {present} accounts; load into an empty database")
    for table, columns in TABLES.items():
        copy_table(src, url, table, columns)
    for table in TABLES:
        psql(url, "-c",
             f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
             f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")
    started = time.perf_counter()
    psql(url, "-c", "VACUUM ANALYZE")
    print(f"load_pg: VACUUM ANALYZE in {time.perf_counter() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
