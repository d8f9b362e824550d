"""Settings of the benchmark: the product's own, served as in production (``DEBUG`` off)
with a bench-only URLconf that adds the bare view, and the API's write throttle raised so
that the throughput run measures writes rather than 429s. The throttle class still runs
(its cache round trip is part of every write); only its rate is out of reach. Production
defaults are untouched: this module is only loaded by ``benchmarks.run``."""

from config.settings import *  # noqa: F403
from config.settings import ALLOWED_HOSTS, LOGGING, REST_FRAMEWORK

DEBUG = False
ROOT_URLCONF = "benchmarks.urls"
# Django's test client asks for "testserver".
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "writes": "1000000/min",
    },
}
# Every session the benchmark opens is a login; the security log would list them all.
LOGGING = {
    **LOGGING,
    "loggers": {**LOGGING["loggers"], "allhands.security": {"level": "WARNING"}},
}
