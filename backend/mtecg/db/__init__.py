"""The service's database: tables, engine set-up, migrations and repository functions.

SQLite (a file, the default) and PostgreSQL are both first-class; everything here is plain
SQLAlchemy 2.0 so the two behave the same, with the few differences (locking, pragmas) kept in
`engine.py` and `audit.py`.
"""
