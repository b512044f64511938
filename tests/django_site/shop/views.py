# Views whose time the profiler must attribute to the right function and mode:
#   cpu_view    -> burn_cpu: pure Python on a CPU, holding the GIL (every mode sees it)
#   sql_view    -> slow_query: waits inside SQLite's C code for a lock (off-CPU, GIL
#                  released): seen in wall mode only, like a slow query on a DB server
#   crunch_view -> crunch_query: a recursive CTE computed inside SQLite's C code (on a
#                  CPU, GIL released): seen in wall and cpu mode, not in gil mode
#   fast_view   -> returns at once (?spin=MS: after MS milliseconds on the CPU)
# and for --by-request, routes whose time the server measures itself (timing.py):
#   order_detail (orders/<int:pk>/) -> burn_cpu: CPU work
#   search       (search/)          -> SQLite queries on an in-memory table
import os
import sqlite3
import tempfile
import threading
import time

from django.http import HttpResponse

BURN_ITERATIONS = 3000000
LOCK_WAIT = 0.2          # seconds slow_query waits for the lock (sqlite's busy timeout)
CRUNCH_ROWS = 1000000    # rows the recursive CTE generates (~0.2 s)


def burn_cpu(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def _locked_database():
    """A file database with a writer holding an EXCLUSIVE lock, so a reader waits."""
    # One file per thread: gthread and runserver serve requests in several threads.
    path = os.path.join(tempfile.gettempdir(), "pyattach-shop-%d-%d.sqlite3"
                        % (os.getpid(), threading.get_ident()))
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
    writer.execute("BEGIN EXCLUSIVE")
    return path, writer


def slow_query():
    path, writer = _locked_database()
    try:
        reader = sqlite3.connect(path, timeout=LOCK_WAIT, isolation_level=None)
        try:
            # sqlite3_step runs with the GIL released; its busy handler sleeps in C.
            reader.execute("SELECT count(*) FROM t").fetchone()
            return "unlocked"
        except sqlite3.OperationalError as e:
            return str(e)  # "database is locked": the lock outlived the wait
        finally:
            reader.close()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        os.unlink(path)


def crunch_query():
    db = sqlite3.connect(":memory:")
    try:
        row = db.execute(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
            "SELECT sum(x % 7) FROM c", (CRUNCH_ROWS,)).fetchone()
        return row[0]
    finally:
        db.close()


def cpu_view(request):
    return HttpResponse("cpu %d\n" % burn_cpu(BURN_ITERATIONS))


def sql_view(request):
    return HttpResponse("sql %s\n" % slow_query())


def crunch_view(request):
    return HttpResponse("crunch %d\n" % crunch_query())


def fast_view(request):
    # ?spin=MS (test_by_request_servers.py): the fastest route still, yet long enough
    # for its samples to measure it. Wall time on the CPU, not a count of iterations,
    # so it stays a fixed share of the sampling interval on any machine and under load.
    spin = request.GET.get("spin")
    if spin:
        end = time.perf_counter() + float(spin) / 1000
        while time.perf_counter() < end:
            pass
    return HttpResponse("fast\n")


ORDER_ITERATIONS = 600000  # ~60 ms of burn_cpu on an idle machine: well above search
SEARCH_ROWS = 6000  # ~10 ms (~20 ms on 3.14/3.15, ~100 ms under runserver's GIL contention): well above /fast/?spin at 2.5 ms


def order_detail(request, pk):
    # ?light=1: a hundredth of the work, for sending a thousand distinct orders quickly
    iterations = ORDER_ITERATIONS // 100 if request.GET.get("light") else ORDER_ITERATIONS
    return HttpResponse("order %d: %d\n" % (pk, burn_cpu(iterations)))


def search(request):
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT, price INTEGER)")
        db.executemany("INSERT INTO item (name, price) VALUES (?, ?)",
                       (("item %d" % i, i * 37 % 1000) for i in range(SEARCH_ROWS)))
        found = db.execute("SELECT count(*) FROM item WHERE name LIKE '%7%' AND price > 500").fetchone()[0]
        cheapest = db.execute("SELECT name FROM item ORDER BY price, name LIMIT 1").fetchone()[0]
        return HttpResponse("search %d %s\n" % (found, cheapest))
    finally:
        db.close()
