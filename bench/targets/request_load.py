# A target for bench/bench_by_request.py: THREADS threads, each running inside frames
# shaped like Django's request handling (a package named django written to a temporary
# directory: django/core/handlers/wsgi.py and base.py, the files and functions
# python_frames/request_label.c looks for), 20 frames deep.
#   steady  each thread serves one endless request, spinning in its view
#   churn   each thread serves requests of ~1 ms back to back (a new handler call,
#           a new request object and ResolverMatch each time)
#   none    the same threads and depth, no handler frame: nothing to label
# Runs on CPython 3.6-3.15.
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "targets"))
import fake_django  # noqa: E402

BASE_PY = '''
class BaseHandler(object):
    def get_response(self, request):
        return self._get_response(request)

    def _get_response(self, request):
        return request.view(request)
'''

WSGI_PY = '''
from django.core.handlers.base import BaseHandler


class WSGIHandler(BaseHandler):
    def __call__(self, environ, start_response):
        request = environ["make_request"](environ)
        return self.get_response(request)
'''

THREADS = 4
DEPTH = 20


class ResolverMatch(object):
    def __init__(self, route, func_path):
        self.route = route
        self._func_path = func_path
        self.url_name = None


class WSGIRequest(object):
    def __init__(self, environ, view):
        self.environ = environ
        self.method = environ["REQUEST_METHOD"]
        self.path_info = environ["PATH_INFO"]
        self.resolver_match = ResolverMatch("orders/<int:pk>/", "shop.views.order_detail")
        self.view = view


def spin_forever(request):
    while True:
        pass


def one_millisecond(request):
    n = 0
    for i in range(6000):
        n += i
    return n


def deep(n, then):
    return deep(n - 1, then) if n else then()


def serve(mode):
    from django.core.handlers.wsgi import WSGIHandler
    handler = WSGIHandler()
    if mode == "none":
        deep(DEPTH, lambda: spin_forever(None))
    view = spin_forever if mode == "steady" else one_millisecond
    order = 0
    while True:
        order += 1
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/orders/%d/" % order,
                   "make_request": lambda environ: WSGIRequest(environ, view)}
        deep(DEPTH, lambda: handler(environ, None))


def main():
    mode = sys.argv[1]
    root = fake_django.install(BASE_PY, WSGI_PY, "pyattach-bench-django-")
    import django.core.handlers.wsgi  # noqa: F401  (loaded: the directory can go)
    fake_django.remove(root)
    for _ in range(THREADS):
        threading.Thread(target=serve, args=(mode,), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
