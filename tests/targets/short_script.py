# A short program for `pyattach record -- python short_script.py`: it runs about a
# second in a named function and exits with status 0.
import time


def spawned_work():
    end = time.perf_counter() + 1.0
    n = 0
    while time.perf_counter() < end:
        n += 1
    return n


if __name__ == "__main__":
    spawned_work()
