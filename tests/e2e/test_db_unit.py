"""Runs the database-backed unit tests against the suite's PostgreSQL:
tests/unit/test_db.c (queries, reconnection) and
tests/unit/test_authtoken.c (bare requests as ws-bridge makes them:
tr_auth_token(), their usage rows and quota slots)."""

import os
import subprocess

import pytest

from conftest import BUILD


@pytest.mark.parametrize("prog", ["test_db", "test_authtoken"])
def test_db_unit(stack, prog):
    r = subprocess.run([os.path.join(BUILD, "tests", "unit", prog)],
                       env=dict(os.environ, TEST_DATABASE_URL=stack.pg.url()),
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "only the offline cases" not in r.stderr
