"""Run one job by id in this process (the benchmark measures this process's time and peak memory)."""

from __future__ import annotations

import sys

from tracker import create_app
from tracker.jobs import queue

if __name__ == "__main__":
    instance, database_url, job_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": instance,
            "SECRET_KEY": "b" * 40,
            "JOBS_BACKEND": "memory",
        }
    )
    queue.execute(app, job_id)
