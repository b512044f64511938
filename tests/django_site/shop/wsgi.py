# The WSGI entry point for gunicorn (shop.wsgi) and uwsgi (--module shop.wsgi:application).
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
application = get_wsgi_application()
