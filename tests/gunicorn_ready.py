"""Gunicorn settings for the tests' servers (`--config python:tests.gunicorn_ready`): each worker, once it is
about to accept requests, leaves a file named after its process id in SCIVISIT_TEST_READY_DIR, so a test waits
until every worker is ready instead of sleeping and hoping."""

from __future__ import annotations

import os
from pathlib import Path


def post_worker_init(worker) -> None:
    Path(os.environ["SCIVISIT_TEST_READY_DIR"], str(worker.pid)).touch()
