# A multiprocessing.Pool target: three pool workers burn CPU in mp_work while the
# parent waits for their results in wait_for_results. Prints `READY {"workers": [...]}`
# once every worker has run, then keeps the pool busy until killed.
#
# Runs on CPython 3.6-3.15 (no syntax newer than 3.6). The default start method
# (fork on Linux up to 3.13, forkserver from 3.14) makes the workers descendants of
# this process.
import json
import multiprocessing
import sys


def mp_work(n):
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def wait_for_results(pool):
    while True:
        pool.map(mp_work, [200000] * 12, chunksize=1)


def main():
    pool = multiprocessing.Pool(3)
    pool.map(mp_work, [10] * 3, chunksize=1)
    workers = sorted(p.pid for p in pool._pool)
    sys.stdout.write("READY " + json.dumps({"workers": workers}) + "\n")
    sys.stdout.flush()
    wait_for_results(pool)


if __name__ == "__main__":
    main()
