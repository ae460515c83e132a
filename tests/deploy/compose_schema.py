"""The part of the Compose file format this deployment uses, as a strict JSON schema.

Written for these tests from the Compose Specification's documentation: every level lists the
keys Compose accepts there (of those a deployment like ours would use) and refuses any other,
so a misspelt key or a value of the wrong kind fails here instead of at `docker compose up` on a
hospital's server. Keys outside this subset are refused too: adding one to docker-compose.yml
means adding it here, after checking its meaning in the specification.
"""

from __future__ import annotations

from typing import Any

_DURATION = {"type": "string", "pattern": r"^(\d+(\.\d+)?(us|ms|s|m|h))+$"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_ENV = {
    "oneOf": [
        {"type": "object", "additionalProperties": _SCALAR},
        {"type": "array", "items": {"type": "string", "pattern": "^[^=]+=.*$"}},
    ]
}


def _closed(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with exactly these keys (extension keys `x-*` allowed, as Compose does)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "patternProperties": {"^x-": {}},
        "additionalProperties": False,
    }


_HEALTHCHECK = _closed(
    {
        "test": {"oneOf": [{"type": "string"}, _STRINGS]},
        "interval": _DURATION,
        "timeout": _DURATION,
        "retries": {"type": "integer", "minimum": 0},
        "start_period": _DURATION,
        "start_interval": _DURATION,
        "disable": {"type": "boolean"},
    }
)
_BUILD = _closed(
    {
        "context": {"type": "string"},
        "dockerfile": {"type": "string"},
        "target": {"type": "string"},
        "args": {"type": "object", "additionalProperties": _SCALAR},
    }
)
_VOLUME_MOUNT = _closed(
    {
        "type": {"enum": ["bind", "volume", "tmpfs"]},
        "source": {"type": "string"},
        "target": {"type": "string"},
        "read_only": {"type": "boolean"},
    },
    ("type", "target"),
)
_DEPENDENCY = _closed(
    {
        "condition": {
            "enum": ["service_started", "service_healthy", "service_completed_successfully"]
        },
        "required": {"type": "boolean"},
        "restart": {"type": "boolean"},
    },
    ("condition",),
)
_NETWORK_ATTACHMENT = _closed(
    {"aliases": _STRINGS, "ipv4_address": {"type": "string"}, "ipv6_address": {"type": "string"}}
)
_DEVICE_REQUEST = _closed(
    {
        "driver": {"type": "string"},
        "count": {"oneOf": [{"type": "integer", "minimum": 1}, {"const": "all"}]},
        "device_ids": _STRINGS,
        "capabilities": _STRINGS,
    },
    ("capabilities",),
)
_DEPLOY = _closed(
    {
        "resources": _closed(
            {
                "reservations": _closed({"devices": {"type": "array", "items": _DEVICE_REQUEST}}),
                "limits": _closed(
                    {"cpus": {"type": ["string", "number"]}, "memory": {"type": "string"}}
                ),
            }
        )
    }
)
_LOGGING = _closed(
    {"driver": {"type": "string"}, "options": {"type": "object", "additionalProperties": _SCALAR}}
)
_SERVICE = _closed(
    {
        "image": {"type": "string"},
        "build": {"oneOf": [{"type": "string"}, _BUILD]},
        "command": {"oneOf": [{"type": "string"}, _STRINGS]},
        "entrypoint": {"oneOf": [{"type": "string"}, _STRINGS]},
        "environment": _ENV,
        "env_file": {"oneOf": [{"type": "string"}, _STRINGS]},
        "volumes": {"type": "array", "items": {"oneOf": [{"type": "string"}, _VOLUME_MOUNT]}},
        "networks": {
            "oneOf": [
                _STRINGS,
                {
                    "type": "object",
                    "additionalProperties": {"oneOf": [{"type": "null"}, _NETWORK_ATTACHMENT]},
                },
            ]
        },
        "ports": {"type": "array", "items": {"type": ["string", "integer"]}},
        "restart": {"enum": ["no", "always", "on-failure", "unless-stopped"]},
        "stop_grace_period": _DURATION,
        "security_opt": _STRINGS,
        "cap_drop": _STRINGS,
        "read_only": {"type": "boolean"},
        "user": {"type": "string"},
        "shm_size": {"type": ["string", "integer"]},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "logging": _LOGGING,
        "healthcheck": _HEALTHCHECK,
        "profiles": _STRINGS,
        "depends_on": {
            "oneOf": [_STRINGS, {"type": "object", "additionalProperties": _DEPENDENCY}]
        },
        "deploy": _DEPLOY,
    }
)

COMPOSE_SCHEMA: dict[str, Any] = _closed(
    {
        "name": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$"},
        "services": {"type": "object", "minProperties": 1, "additionalProperties": _SERVICE},
        "networks": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [
                    {"type": "null"},
                    _closed({"internal": {"type": "boolean"}, "driver": {"type": "string"}}),
                ]
            },
        },
        "volumes": {
            "type": "object",
            "additionalProperties": {
                "oneOf": [{"type": "null"}, _closed({"driver": {"type": "string"}})]
            },
        },
    },
    ("services",),
)
