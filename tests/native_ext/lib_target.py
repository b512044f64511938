# A target for the --native tests: two threads keeping C libraries busy.
#   sql_work  (main thread) -> sqlite3 (a recursive CTE: time goes to libsqlite3)
#   hash_work (thread)      -> hashlib.sha256 (time goes to _hashlib / libcrypto)
# Prints `READY {"pid": ...}` once both run; runs until killed.
import hashlib
import json
import os
import sqlite3
import sys
import threading

QUERY = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000) "
         "SELECT sum(x * x % 7) FROM c")


def hash_work(started):
    data = b"x" * (1 << 20)
    started.set()
    while True:
        hashlib.sha256(data).digest()


def sql_work():
    db = sqlite3.connect(":memory:")
    while True:
        db.execute(QUERY).fetchone()


def main():
    started = threading.Event()
    threading.Thread(target=hash_work, args=(started,), daemon=True).start()
    started.wait()
    sys.stdout.write("READY " + json.dumps({"pid": os.getpid()}) + "\n")
    sys.stdout.flush()
    sql_work()


main()
