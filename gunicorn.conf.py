"""gunicorn settings, read from the app's folder (the Procfile's `web` runs from there).

The configuration is checked here, when gunicorn reads this file, before it logs or forks
anything: a refusal is one line on stderr and exit status 1, instead of every worker failing
to boot with a traceback.
"""

from __future__ import annotations

from api import redaction
from api.hardening import config_or_exit

config_or_exit()
# Workers fork from the master: their access and error logs are redacted too.
redaction.install()

# The request line without its query string: a `?access_token=` never reaches the access log.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)s'
