# Ground truth for --by-request without a server: threads parked inside handler frames
# that look like Django's (a package named django written to a temporary directory,
# with django/core/handlers/base.py and wsgi.py: the file and function names
# python_frames/request_label.c looks for) and inside a plain WSGI app, with requests
# both well-formed and hostile (attributes of the wrong type, a cycle). Each thread
# parks in a function of its own name; READY's "labels" maps that name to the root
# pyattach must give its samples, by kernel thread id.
#
# Runs on CPython 3.6-3.15: no syntax newer than 3.6.
import json
import sys
import threading

import fake_django
from target_common import gettid

BASE_PY = '''
class BaseHandler(object):
    def get_response(self, request):
        return self._get_response(request)

    def _get_response(self, request):
        return request.park()
'''

WSGI_PY = '''
from django.core.handlers.base import BaseHandler


class WSGIHandler(BaseHandler):
    def __call__(self, environ, start_response):
        request = environ["make_request"]()
        return self.get_response(request)
'''

stop = threading.Event()
parked = {}  # name -> kernel thread id


class Match(object):
    def __init__(self, route, func_path):
        self.route = route
        self._func_path = func_path


class Request(object):
    def __init__(self, method, resolver_match, park):
        self.method = method
        self.resolver_match = resolver_match
        self._park = park

    def park(self):
        return self._park()


def parker(name):
    """A function named `name` that parks the calling thread (its leaf frame)."""
    def park():
        parked[name] = gettid()
        stop.wait()
    park.__name__ = name
    return park


def django_thread(name, method, match, environ=None):
    from django.core.handlers.base import BaseHandler
    from django.core.handlers.wsgi import WSGIHandler
    request = Request(method, match, parker(name))
    if environ is None:
        BaseHandler().get_response(request)
    else:
        environ = dict(environ, make_request=lambda: request)
        WSGIHandler()(environ, None)


def wsgi_app(environ, start_response):
    return environ["park"]()


def wsgi_thread(name, environ):
    wsgi_app(dict(environ, park=parker(name)), None)


def main():
    root = fake_django.install(BASE_PY, WSGI_PY, "pyattach-fake-django-")
    try:
        cyclic = Request("GET", None, parker("park_cycle"))
        cyclic.resolver_match = cyclic  # request.resolver_match.route: no such attribute
        routes = [
            ("park_resolved", lambda: django_thread("park_resolved", "GET",
                                                    Match("orders/<int:pk>/", "shop.views.order_detail")),
             "<GET orders/<int:pk>/ (shop.views.order_detail)>"),
            ("park_wrong_types", lambda: django_thread("park_wrong_types", "GET", Match(12345, ["shop"])),
             "<GET ?>"),
            ("park_cycle", lambda: BaseHandlerCall(cyclic), "<GET ?>"),
            ("park_method_int", lambda: django_thread("park_method_int", 42, Match("items/", "shop.views.items")),
             "<? items/ (shop.views.items)>"),
            ("park_unresolved", lambda: django_thread("park_unresolved", "GET", None,
                                                      {"REQUEST_METHOD": "GET", "PATH_INFO": "/search/"}),
             "<GET /search/>"),
            ("park_wsgi", lambda: wsgi_thread("park_wsgi", {
                "REQUEST_METHOD": "POST",
                "PATH_INFO": "/orders/17/items/3f2a9c1be07d/6fa459ea-ee8a-3ca4-894e-db77e160355e/img-3.png"}),
             "<POST /orders/<int>/items/<hex>/<uuid>/img-<int>.png>"),
            ("park_wsgi_hostile", lambda: wsgi_thread("park_wsgi_hostile", {"REQUEST_METHOD": None,
                                                                           "PATH_INFO": 5}),
             "<? ?>"),
            ("park_no_request", lambda: parker("park_no_request")(), "<no request>"),
        ]
        threads = [threading.Thread(target=run) for _, run, _ in routes]
        for t in threads:
            t.start()
        while len(parked) < len(routes):
            stop.wait(0.01)
        labels = dict((str(parked[name]), label) for name, _, label in routes)
        labels[str(gettid())] = "<no request>"  # the main thread
        print("READY " + json.dumps({"labels": labels, "tasks": len(routes) + 1}))
        sys.stdout.flush()
        stop.wait()
    finally:
        fake_django.remove(root)


def BaseHandlerCall(request):
    from django.core.handlers.base import BaseHandler
    BaseHandler().get_response(request)


if __name__ == "__main__":
    main()
