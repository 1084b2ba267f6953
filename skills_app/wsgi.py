import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
application = get_wsgi_application()

# Only servers import this module, so this is the server's start-up: build the
# skill-label index now rather than on the first autocomplete (see taxonomy/labels.py).
from taxonomy.labels import warm_in_background  # noqa: E402

warm_in_background()

# The workforce index too: gunicorn builds it before a worker takes traffic
# (gunicorn.conf.py's post_worker_init); runserver builds it in the background and
# /healthz/ready answers 503 until it is loaded.
if os.environ.get("MUSTER_WARM_INDEX", "background") == "background":
    from skills_app.index.adapter import warm_index_in_background  # noqa: E402

    warm_index_in_background()
