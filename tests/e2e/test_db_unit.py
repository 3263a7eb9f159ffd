"""Runs the database unit test (tests/unit/test_db.c) against the
suite's PostgreSQL, where it also checks queries and reconnection."""

import os
import subprocess

from conftest import BUILD


def test_db_unit(stack):
    r = subprocess.run([os.path.join(BUILD, "tests", "unit", "test_db")],
                       env=dict(os.environ, TEST_DATABASE_URL=stack.pg.url()),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "only the offline cases" not in r.stderr
