# The server's own measure of each request (for --by-request's tests): the outermost
# middleware times the rest of Django's handling of the request and reports it in the
# X-Handler-Seconds response header. Enabled by shop/settings_timed.py only.
import time


class HandlerTime(object):
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Handler-Seconds"] = "%.6f" % (time.perf_counter() - started)
        return response
