"""trapi-migrate against a real PostgreSQL: applying twice changes
nothing, and a broken migration leaves the schema as it was."""

import os
import shutil

from conftest import ROOT


def test_apply_twice_changes_nothing(stack):
    stack.pg.createdb("mig_twice")
    first = stack.migrate(db="mig_twice")
    assert first.returncode == 0, first.stderr
    assert "applied 0001_accounts.sql" in first.stdout
    schema = stack.pg.dump_schema("mig_twice")
    second = stack.migrate(db="mig_twice")
    assert second.returncode == 0, second.stderr
    assert "schema up to date" in second.stdout
    assert "applied" not in second.stdout
    assert stack.pg.dump_schema("mig_twice") == schema
    rows = stack.pg.psql("SELECT version, name FROM schema_migrations ORDER BY 1",
                         db="mig_twice")
    files = sorted(f for f in os.listdir(os.path.join(ROOT, "sql"))
                   if f.endswith(".sql"))
    assert rows == [[f[:4], f] for f in files]
    tables = stack.pg.psql("SELECT tablename FROM pg_tables WHERE schemaname = "
                           "'public' ORDER BY 1", db="mig_twice")
    assert {"api_keys", "schema_migrations", "usage_logs",
            "users"} <= {t[0] for t in tables}


def test_seed_columns(stack):
    cols = stack.pg.psql("SELECT table_name, column_name FROM "
                         "information_schema.columns WHERE table_schema = 'public'")
    have = {(t, c) for t, c in cols}
    for c in ("email", "password_hash", "first_name", "last_name", "company",
              "plan"):
        assert ("users", c) in have
    # The seed's monthly counters of a user (migration 0012 stripes them
    # over usage_counters), as the seed named them.
    for c in ("user_id", "api_calls_month", "audio_minutes_month"):
        assert ("usage_month", c) in have
    for c in ("key_hash", "key_prefix", "name", "last_used", "usage_count",
              "expires_at", "user_id"):
        assert ("api_keys", c) in have
    for c in ("service", "endpoint", "audio_duration_seconds", "tokens_used",
              "characters", "cost_usd", "timestamp", "user_id"):
        assert ("usage_logs", c) in have


def test_broken_migration_leaves_schema_unchanged(stack, tmp_path):
    stack.pg.createdb("mig_broken")
    sqldir = tmp_path / "sql"
    shutil.copytree(os.path.join(ROOT, "sql"), sqldir)
    assert stack.migrate(db="mig_broken", sqldir=str(sqldir)).returncode == 0
    before = stack.pg.dump_schema("mig_broken")
    (sqldir / "0900_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\n"
        "ALTER TABLE users ADD COLUMN nickname text;\n"
        "SELEC 1;\n")
    r = stack.migrate(db="mig_broken", sqldir=str(sqldir))
    assert r.returncode != 0
    assert "0900_broken.sql failed" in r.stderr
    assert "syntax error" in r.stderr
    assert stack.pg.dump_schema("mig_broken") == before
    assert stack.pg.psql("SELECT count(*) FROM schema_migrations WHERE "
                         "version = '0900'", db="mig_broken") == [["0"]]
    # Fixed, it applies.
    (sqldir / "0900_broken.sql").write_text("CREATE TABLE half_done (id int);\n")
    r = stack.migrate(db="mig_broken", sqldir=str(sqldir))
    assert r.returncode == 0 and "applied 0900_broken.sql" in r.stdout


def test_migrate_without_database_fails_clearly(stack):
    env_db = "postgresql://nobody@127.0.0.1:1/none"
    import subprocess
    from conftest import BUILD
    r = subprocess.run([os.path.join(BUILD, "tools", "trapi-migrate"), "-d",
                        os.path.join(ROOT, "sql")],
                       env=dict(os.environ, DATABASE_URL=env_db,
                                DB_CONNECT_TIMEOUT="2"),
                       capture_output=True, text=True)
    assert r.returncode != 0
    assert "database unreachable" in r.stderr
