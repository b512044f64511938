# --by-request's cap on labels: N threads (argv[1]) each parked inside a WSGI app
# serving a path of its own that no folding merges (/page-a/, /page-b/, ...).
# READY's "paths" lists them.
#
# Runs on CPython 3.6-3.15: no syntax newer than 3.6.
import json
import string
import sys
import threading

stop = threading.Event()
parked = []
lock = threading.Lock()


def letters(i):
    text = ""
    while True:
        text = string.ascii_lowercase[i % 26] + text
        i //= 26
        if i == 0:
            return text


def wsgi_app(environ, start_response):
    with lock:
        parked.append(environ["PATH_INFO"])
    stop.wait()


def main():
    paths = ["/page-%s/" % letters(i) for i in range(int(sys.argv[1]))]
    for path in paths:
        threading.Thread(target=wsgi_app, args=({"REQUEST_METHOD": "GET", "PATH_INFO": path}, None)).start()
    while len(parked) < len(paths):
        stop.wait(0.01)
    print("READY " + json.dumps({"paths": paths, "tasks": len(paths) + 1}))
    sys.stdout.flush()
    stop.wait()


if __name__ == "__main__":
    main()
