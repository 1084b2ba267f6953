import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "skills_app.settings")
application = get_wsgi_application()

# Only servers import this module, so this is the server's start-up: build the
# skill-label index now rather than on the first autocomplete (see taxonomy/labels.py).
from taxonomy.labels import warm_in_background  # noqa: E402

warm_in_background()
