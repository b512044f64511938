# Settings of the test site: no database, no apps, no network beyond the
# 127.0.0.1 socket the server under test binds. Shared by runserver, gunicorn and uwsgi.
SECRET_KEY = "pyattach-test-site-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
LOGGING_CONFIG = None  # runserver's request log would only fill the test's pipes
