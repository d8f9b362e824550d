"""``make bench``: the scale benchmark of issue 8, measured in one run.

Pages in-process with Django's test client next to a bare one-query view, HTTP
throughput under gunicorn, the summary and payout jobs in a real Celery worker next to
raw-SQL floors, and page query counts at demo size and at full scale. ``run`` is the
entry point; ``report`` holds the pure helpers (statistics, targets, the table).
"""
