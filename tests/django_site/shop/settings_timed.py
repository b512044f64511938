# The test site with its own measure of each request (shop/timing.py), for
# --by-request's tests: `runserver --settings shop.settings_timed`, gunicorn
# `--env DJANGO_SETTINGS_MODULE=shop.settings_timed`.
from shop.settings import *  # noqa: F401,F403

MIDDLEWARE = ["shop.timing.HandlerTime"]
