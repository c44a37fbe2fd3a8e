"""Several real ``authgate serve`` processes sharing PostgreSQL and Redis.

Each test starts its instances as subprocesses bound to 127.0.0.1, on a
PostgreSQL database and a Redis database number of its own, and stops them
in fixture finalizers (see ``conftest.py``).  Fault tests kill what they
start themselves -- an authgate instance, a private ``redis-server``, a
private PostgreSQL cluster -- never the shared services.
"""
