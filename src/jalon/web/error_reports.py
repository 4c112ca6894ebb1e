"""What Django's error reports (the debug page with ``JALON_DEBUG=1``, mails to admins) may show.

granian hands each request the server process's whole environment in ``request.META``, so the
report would show ``DATABASE_URL``, password included: Django masks only names that look secret
(KEY, TOKEN, PASS…). Connection strings are masked too.
"""

from __future__ import annotations

import re

from django.views.debug import SafeExceptionReporterFilter


class ReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DATABASE_URL|DSN|CONNINFO", flags=re.I
    )
