# The server's own measure of each request (for --by-request's tests): how long Django
# took for it from the moment it knew the request's route (URL resolution, when
# process_view runs) to the response, reported in the X-Handler-Seconds response
# header. Before resolution a request has no route: its time is its WSGI path's (and
# under gthread's GIL contention that part was 7 % of a 3 ms /fast/). Enabled by
# shop/settings_timed.py only.
import threading
import time


class HandlerTime(object):
    def __init__(self, get_response):
        self.get_response = get_response
        # per thread, not on the request: an attribute set on it would change the
        # instance dict the profiler is reading the route from
        self.resolved = threading.local()

    def process_view(self, request, view_func, view_args, view_kwargs):
        self.resolved.at = time.perf_counter()
        return None

    def __call__(self, request):
        self.resolved.at = None
        response = self.get_response(request)
        if self.resolved.at is not None:  # not resolved (a 404): no route, no figure
            response["X-Handler-Seconds"] = "%.6f" % (time.perf_counter() - self.resolved.at)
        return response
