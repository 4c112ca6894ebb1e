"""WSGI entry point: ``jalon.web.wsgi:application``, the one ``jalon serve`` gives granian."""

from __future__ import annotations

import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jalon.web.settings")
# The app's few static files (admin, htmx) are served by Django itself, whatever WSGI server runs
# it: no collectstatic step and no second server for a tool that listens on localhost only.
application = StaticFilesHandler(get_wsgi_application())
