"""Scale mode: Celery workers on a Redis broker, PostgreSQL as the shared store.

Only this package imports celery and redis (the ``huntfeed[scale]`` extra); the local mode
never loads it. ``app`` holds the Celery application, ``tasks`` the tasks, ``work`` and
``documents`` the Celery-free units of work they share with the local backfill.
"""
