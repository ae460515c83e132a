"""The HTTP service (FastAPI): the contract is docs/API.md; `create_app` builds it."""

from mtecg.api.app import create_app

__all__ = ["create_app"]
