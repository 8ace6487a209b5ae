"""The web application for ASGI servers (``daifuku serve`` runs it under uvicorn).

Django's WSGI application behind a2wsgi's adapter, not Django's ASGI handler: Daifuku's views are all
synchronous, and the ASGI handler ran each request's view code in a thread of its own, so a database
connection could not outlive its request (SQLite reopened the file, ran its PRAGMAs and started with a
cold page cache on every request). a2wsgi runs requests on a fixed pool of ``DAIFUKU_WEB_THREADS``
threads (default 10) per process, each keeping its connection (``CONN_MAX_AGE`` in settings). Measured
on the 1m benchmark database, 2 processes, 10 clients on the same 2 cores (SQLite): ``GET
/api/v1/companies?limit=50`` 92 → 136 requests/s, ``limit=1`` 135 → 266 (with httptools and uvloop,
which uvicorn picks up by itself). It is also the stack the browser tests run (Django's live server
is a WSGI server).
"""

import os

from a2wsgi import WSGIMiddleware
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "daifuku.settings")
application = WSGIMiddleware(
    get_wsgi_application(),  # type: ignore[arg-type]  # a WSGI callable; a2wsgi types it narrower
    workers=int(os.environ.get("DAIFUKU_WEB_THREADS", "10")),
)
