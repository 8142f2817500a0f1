"""Entry point for gunicorn: `gunicorn wsgi:app`."""
import gc

from workspace import create_app

app = create_app()
# The application's own objects (modules, routes, templates, catalogues: some 200,000) live as long as
# the process: moved out of the collector's reach, a full collection no longer walks them every few
# dozen requests (about 100 ms each time on a large page's allocations).
gc.freeze()
