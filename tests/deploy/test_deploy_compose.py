"""docker-compose.yml and .env.example, checked without a Docker engine.

The compose file is validated against the Compose Specification's published JSON schema (as
check-jsonschema vendors it) after interpolation with the values of .env.example, the way
`docker compose up` would see it on a fresh install; then the deployment's own rules are checked.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from check_jsonschema.builtin_schemas import get_builtin_schema
from deploy_files import (
    COMPOSE_FILE,
    DOCKERFILES,
    REPO,
    InterpolationError,
    enabled_services,
    interpolate,
    interpolated_variables,
    is_pinned,
    load_compose,
    load_compose_raw,
    parse_dockerfile,
    parse_env_file,
    seconds,
)

from mtecg.settings import Settings

#: Secrets without which the deployment must refuse to start.
REQUIRED_SECRETS = ("MTECG_SECRET_KEY", "POSTGRES_PASSWORD")
#: Services that run the backend image (the service itself, its GPU twin, the migration).
BACKEND_SERVICES = ("backend", "backend-gpu")
ONE_SHOT = "migrate"
PROFILES = ({"cpu"}, {"gpu"})


def settings_env_names() -> dict[str, str]:
    """Environment variable -> field name, for every field of mtecg.settings.Settings."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    names = {}
    for name, info in Settings.model_fields.items():
        alias = info.validation_alias or info.alias
        env = alias if isinstance(alias, str) else prefix + name
        names[env.upper()] = name
    return names


def fresh_install_env() -> dict[str, str]:
    """.env as an operator makes it: the example with the required secrets filled in."""
    env = dict(parse_env_file().values)
    for name in REQUIRED_SECRETS:
        env[name] = "0123456789abcdef" * 4
    return env


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose(fresh_install_env())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]  # type: ignore[no-any-return]


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def healthcheck_enabled(service: dict[str, Any]) -> bool:
    check = service.get("healthcheck")
    return bool(check) and not check.get("disable") and check.get("test") not in (["NONE"], "NONE")


# --------------------------------------------------------------------------------------------
# The Compose file format


# The Compose Specification's own JSON schema (compose-spec/compose-spec, schema/compose-spec.json),
# as check-jsonschema vendors it: every object is closed (only `x-` extensions), so an unknown or
# misspelt key is an error.
COMPOSE_SCHEMA = get_builtin_schema("vendor.compose-spec")
COMPOSE_VALIDATOR = jsonschema.validators.validator_for(COMPOSE_SCHEMA)


def test_schema_is_a_valid_json_schema() -> None:
    COMPOSE_VALIDATOR.check_schema(COMPOSE_SCHEMA)


def test_compose_file_is_valid_against_the_compose_schema(compose: dict[str, Any]) -> None:
    validator = COMPOSE_VALIDATOR(COMPOSE_SCHEMA)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


def test_schema_catches_a_broken_compose_file(compose: dict[str, Any]) -> None:
    """The schema check is not vacuous: a misspelt key and a bad condition are errors."""
    validator = COMPOSE_VALIDATOR(COMPOSE_SCHEMA)
    broken = json.loads(json.dumps(compose))
    broken["services"]["postgres"]["healthcheck"]["intervall"] = "5s"
    broken["services"]["migrate"]["depends_on"]["postgres"]["condition"] = "service_ready"
    found = [(list(e.absolute_path), e.message) for e in validator.iter_errors(broken)]
    assert any(
        path == ["services", "postgres", "healthcheck"] and "'intervall'" in message
        for path, message in found
    ), found
    assert any("service_ready" in message for _, message in found), found
    assert all(path[:2] in (["services", "postgres"], ["services", "migrate"]) for path, _ in found)


# --------------------------------------------------------------------------------------------
# Secrets, interpolation, .env.example


def test_required_secrets_fail_fast_when_missing() -> None:
    raw = COMPOSE_FILE.read_text()
    used = interpolated_variables(raw)
    for name in REQUIRED_SECRETS:
        assert name in used, f"{name} is not passed to any service"
        assert set(used[name]) == {":?"}, f"every use of {name} must be ${{{name}:?message}}"
        env = fresh_install_env()
        env[name] = ""
        with pytest.raises(InterpolationError, match=name):
            load_compose(env)


def test_env_example_ships_no_usable_secret() -> None:
    """Copying the example unchanged must not start a service with a published secret."""
    values = parse_env_file().values
    for name in REQUIRED_SECRETS:
        assert values.get(name) == "", f".env.example must leave {name} empty"
    with pytest.raises(InterpolationError):
        load_compose(values)


def test_every_interpolated_variable_is_documented_in_env_example() -> None:
    documented = parse_env_file().documented
    used = set(interpolated_variables(COMPOSE_FILE.read_text()))
    assert used, "the compose file interpolates nothing?"
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"


def test_every_backend_setting_is_documented_in_env_example() -> None:
    documented = parse_env_file().documented
    settings = set(settings_env_names())
    assert {"MTECG_DATABASE_URL", "MTECG_SECRET_KEY", "MTECG_MODEL_DIR"} <= settings
    assert settings <= documented, f"not in .env.example: {sorted(settings - documented)}"


def test_env_example_names_only_real_backend_settings() -> None:
    """A misspelt MTECG_ name would be silently ignored by the service."""
    settings = set(settings_env_names())
    mtecg = {name for name in parse_env_file().documented if name.startswith("MTECG_")}
    assert mtecg <= settings, f"not settings of mtecg: {sorted(mtecg - settings)}"


def test_compose_sets_only_real_backend_settings(services: dict[str, Any]) -> None:
    settings = set(settings_env_names())
    for name in (*BACKEND_SERVICES, ONE_SHOT):
        keys = {key for key in environment(services[name]) if key.startswith("MTECG_")}
        assert keys <= settings, f"{name}: not settings of mtecg: {sorted(keys - settings)}"


def test_example_values_are_accepted_by_the_settings(
    services: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend's environment (.env.example + compose) parses as mtecg Settings."""
    for key in list(settings_env_names()):
        monkeypatch.delenv(key, raising=False)
    env = {k: v for k, v in fresh_install_env().items() if k.startswith("MTECG_")}
    env.update(environment(services["backend"]))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.require_secret_key is True
    assert settings.migrate_on_start is False
    assert settings.resolve_secret_key()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.host == "0.0.0.0"


def test_compose_only_variables_do_not_use_the_settings_prefix() -> None:
    """DEPLOY_*/POSTGRES_*/COMPOSE_* are for compose; MTECG_* only for the service."""
    settings = set(settings_env_names())
    for name in interpolated_variables(COMPOSE_FILE.read_text()):
        if name.startswith("MTECG_"):
            assert name in settings, f"{name} looks like a setting but is not one"


# --------------------------------------------------------------------------------------------
# Services: health, order, one-shot migration


def test_every_service_has_a_healthcheck_or_is_one_shot(services: dict[str, Any]) -> None:
    for name, service in services.items():
        if name == ONE_SHOT:
            assert service.get("restart") == "no"
            assert service["command"] == ["migrate"]
            continue
        assert healthcheck_enabled(service), f"{name} has no healthcheck"
        check = service["healthcheck"]
        for key in ("interval", "timeout", "start_period"):
            assert seconds(check[key]) > 0
        assert seconds(check["timeout"]) < seconds(check["interval"])


def test_depends_on_conditions(services: dict[str, Any]) -> None:
    for name, service in services.items():
        for target, spec in (service.get("depends_on") or {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            expected = "service_completed_successfully" if target == ONE_SHOT else "service_healthy"
            assert spec["condition"] == expected, f"{name} -> {target}"
            assert healthcheck_enabled(services[target]) or target == ONE_SHOT
    for name in BACKEND_SERVICES:
        deps = services[name]["depends_on"]
        assert set(deps) == {"postgres", ONE_SHOT}, name
        assert deps[ONE_SHOT].get("required", True) is True
    assert set(services[ONE_SHOT]["depends_on"]) == {"postgres"}
    # The one-shot is depended on by every service that runs the application on the database.
    assert all(ONE_SHOT in services[n]["depends_on"] for n in BACKEND_SERVICES)


def test_migration_runs_only_in_the_one_shot_service(services: dict[str, Any]) -> None:
    backend_image = parse_dockerfile(DOCKERFILES["backend"]).final
    entrypoint = backend_image.last("ENTRYPOINT")
    assert entrypoint is not None
    assert entrypoint.exec_form() == ["/app/scripts/backend.sh"]
    for name in (*BACKEND_SERVICES, ONE_SHOT):
        service = services[name]
        assert "entrypoint" not in service, f"{name} must use the image's scripts/backend.sh"
        assert environment(service)["MTECG_MIGRATE_ON_START"] == "false"
    for name in BACKEND_SERVICES:
        assert "command" not in services[name], f"{name} runs the image's CMD (serve)"
    cmd = backend_image.last("CMD")
    assert cmd is not None and cmd.exec_form() == ["serve"]


@pytest.mark.parametrize("profiles", PROFILES, ids=lambda p: ",".join(sorted(p)))
def test_each_profile_runs_exactly_one_backend(compose: dict[str, Any], profiles: set[str]) -> None:
    enabled = enabled_services(compose, profiles)
    assert {"postgres", ONE_SHOT, "frontend"} <= set(enabled)
    url = urlsplit(environment(enabled["frontend"])["MTECG_BACKEND_URL"])
    reachable_as: dict[str, list[str]] = {}
    for name, service in enabled.items():
        networks = service.get("networks") or {}
        aliases = [name]
        if isinstance(networks, dict):
            for net in networks.values():
                aliases += (net or {}).get("aliases", [])
        for alias in aliases:
            reachable_as.setdefault(alias, []).append(name)
    assert len(reachable_as.get(url.hostname or "", [])) == 1, reachable_as
    (backend,) = reachable_as[url.hostname or ""]
    assert backend in BACKEND_SERVICES
    assert url.port == int(environment(enabled[backend])["MTECG_PORT"])
    # The frontend waits for whichever backend this profile runs.
    assert enabled["frontend"]["depends_on"][backend]["condition"] == "service_healthy"
    # Dependencies outside the active profile must be optional, or compose refuses to start.
    for target, spec in enabled["frontend"]["depends_on"].items():
        if target not in enabled:
            assert spec.get("required") is False, target


def test_default_profile_is_cpu() -> None:
    assert parse_env_file().values.get("COMPOSE_PROFILES") == "cpu"
    raw = COMPOSE_FILE.read_text()
    assert interpolated_variables(raw)["COMPOSE_PROFILES"] == [":?"], (
        "without COMPOSE_PROFILES no backend would start: it must be required"
    )


def test_gpu_profile(services: dict[str, Any]) -> None:
    gpu, cpu = services["backend-gpu"], services["backend"]
    assert gpu["profiles"] == ["gpu"] and cpu["profiles"] == ["cpu"]
    assert "cu" in urlsplit(gpu["build"]["args"]["TORCH_INDEX"]).path
    assert "TORCH_INDEX" not in (cpu["build"].get("args") or {}), "cpu uses the Dockerfile default"
    devices = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)
    assert environment(gpu)["MTECG_DEVICE"] == "cuda"
    assert environment(cpu)["MTECG_DEVICE"] == "cpu"
    assert gpu["image"] != cpu["image"], "the CUDA build must not overwrite the CPU image"
    # Apart from the device and the image, the GPU backend is the same service.
    for key in ("env_file", "volumes", "depends_on", "stop_grace_period", "healthcheck"):
        assert gpu[key] == cpu[key], key


def test_stop_grace_period_outlasts_a_screening(services: dict[str, Any]) -> None:
    """Docker's SIGKILL comes after `mtecg serve`'s own graceful shutdown (deadline + 5 s)."""
    deadline = Settings.model_fields["request_deadline_s"].default
    for name in (*BACKEND_SERVICES, ONE_SHOT, "frontend"):
        grace = seconds(services[name]["stop_grace_period"])
        assert grace >= 60.0, name
        assert grace > deadline + 5, f"{name}: {grace}s does not outlast a screening ({deadline}s)"


# --------------------------------------------------------------------------------------------
# Images, ports, mounts, networks


def test_images_are_pinned_and_built_images_are_tagged(services: dict[str, Any]) -> None:
    for name, service in services.items():
        image = service.get("image")
        assert image, f"{name} has no image name (an untagged build)"
        assert is_pinned(image), f"{name}: {image} is not pinned to a version"
    built = {s["image"]: s["build"] for s in services.values() if "build" in s}
    for image, build in built.items():
        assert (REPO / build["context"] / build["dockerfile"]).is_file(), image
    # The migration uses exactly the backend's image and build.
    assert services[ONE_SHOT]["image"] == services["backend"]["image"]
    assert services[ONE_SHOT]["build"] == services["backend"]["build"]


def test_raw_compose_has_no_latest_tag() -> None:
    assert not re.search(r"image:.*:latest\b", COMPOSE_FILE.read_text())


def test_only_the_frontend_publishes_a_port(services: dict[str, Any]) -> None:
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"frontend"}
    (port,) = services["frontend"]["ports"]
    host_ip, host_port, container_port = str(port).rsplit(":", 2)
    assert host_ip == "127.0.0.1", "the default binds to loopback (behind the TLS proxy)"
    assert container_port == environment(services["frontend"])["PORT"]
    assert int(host_port) > 0


def test_backend_and_database_are_on_internal_networks_only(compose: dict[str, Any]) -> None:
    networks = compose["networks"]
    for name in ("postgres", ONE_SHOT, *BACKEND_SERVICES):
        joined = compose["services"][name]["networks"]
        for net in joined:
            assert (networks[net] or {}).get("internal") is True, f"{name} on {net}"
    frontend_nets = compose["services"]["frontend"]["networks"]
    assert any(not (networks[n] or {}).get("internal") for n in frontend_nets)


def volume_mounts(service: dict[str, Any]) -> list[dict[str, Any]]:
    mounts = []
    for item in service.get("volumes", []):
        assert isinstance(item, dict), "use the long volume syntax (type/source/target)"
        mounts.append(item)
    return mounts


def test_models_are_mounted_read_only_and_data_on_a_named_volume(
    compose: dict[str, Any],
) -> None:
    for name in (*BACKEND_SERVICES, ONE_SHOT):
        service = compose["services"][name]
        env = environment(service)
        mounts = {m["target"]: m for m in volume_mounts(service)}
        model_dir = env["MTECG_MODEL_DIR"]
        model_mount = [m for t, m in mounts.items() if model_dir.startswith(t.rstrip("/") + "/")]
        assert len(model_mount) == 1, f"{name}: {model_dir} is not under a mount"
        assert model_mount[0]["type"] == "bind"
        assert model_mount[0]["read_only"] is True, f"{name}: models must be read-only"
        data = mounts[env["MTECG_DATA_DIR"]]
        assert data["type"] == "volume" and data["source"] in compose["volumes"]
        assert not data.get("read_only")
        assert service["env_file"] == ".env"
    pg = {m["target"]: m for m in volume_mounts(compose["services"]["postgres"])}
    assert pg["/var/lib/postgresql/data"]["source"] in compose["volumes"]


def test_default_model_package_is_the_bundled_demo(compose: dict[str, Any]) -> None:
    service = compose["services"]["backend"]
    model_dir = environment(service)["MTECG_MODEL_DIR"]
    (mount,) = [m for m in volume_mounts(service) if m["type"] == "bind"]
    host = (REPO / mount["source"]).resolve()
    assert host == (REPO / "models").resolve()
    relative = model_dir.removeprefix(mount["target"].rstrip("/") + "/")
    assert relative == "demo"
    assert (host / "README.md").is_file()


def test_postgres_healthcheck_uses_pg_isready(services: dict[str, Any]) -> None:
    test = services["postgres"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and "pg_isready" in test[1]
    # $$ in the file: the container's own variables, not compose interpolation
    raw = load_compose_raw()["services"]["postgres"]["healthcheck"]["test"][1]
    assert "$${POSTGRES_USER}" in raw
    assert interpolate(raw, {}) == test[1]


def test_backend_healthcheck_probes_livez(services: dict[str, Any]) -> None:
    for name in BACKEND_SERVICES:
        test = services[name]["healthcheck"]["test"]
        assert test[:2] == ["CMD", "python"], "python -c urllib: no curl in the image"
        assert "/livez" in test[-1]
        assert f":{environment(services[name])['MTECG_PORT']}/" in test[-1]
        assert seconds(services[name]["healthcheck"]["start_period"]) >= 60
