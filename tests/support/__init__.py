"""Helpers shared by the test suites, imported as `support.<module>` (tests/ is on sys.path).

- `services`: databases (SQLite file or a throwaway PostgreSQL database), migrations, Settings
  and tiny random-weight model packages for the service suites;
- `model_builders`: network specs, manifests, random networks, published-format folders;
- `api_client`: an in-process started app (`started`, `Running`) and `bearer` headers;
- `hostile`: hostile and malformed upload files.
"""
