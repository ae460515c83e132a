"""Readers for the deployment files, for tests that cannot run Docker.

The Dockerfile grammar (continuations, comments, ENV/ARG forms, ARG defaults in FROM) is
`dockerfile-parse`'s, the .dockerignore matching `pathspec`'s wildcard rules anchored at the
context root as Docker anchors them. What is left here is Compose's ${VAR} interpolation and
the env-file syntax (no maintained Python package reads them the way Compose does) and a few
small views the tests share.
"""

from __future__ import annotations

import io
import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
import yaml
from dockerfile_parse import DockerfileParser

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
ENV_EXAMPLE = REPO / ".env.example"
DOCKERIGNORE = REPO / ".dockerignore"
DOCKERFILES = {
    "backend": REPO / "Dockerfile.backend",
    "frontend": REPO / "Dockerfile.frontend",
}


# --------------------------------------------------------------------------------------------
# Dockerfiles


@dataclass
class Instruction:
    keyword: str  # upper case
    args: str  # the rest of the logical line, continuations joined (dockerfile-parse's value)
    line: int  # where it starts (1-based)
    envs: dict[str, str]  # ENV pairs this line declares (raw: $VAR references kept)
    arg_defaults: dict[str, str | None]  # ARG names this line declares, with their defaults

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/RUN (after flags), else None."""
        text = self.args.strip()
        if self.keyword == "HEALTHCHECK":
            text = re.sub(r"^(--\S+\s+)*CMD\s+", "", text)
        if text.startswith("["):
            value = json.loads(text)
            assert isinstance(value, list) and all(isinstance(v, str) for v in value)
            return value
        return None


@dataclass
class Stage:
    base: str  # the image reference, ARG defaults substituted
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None

    def env(self) -> dict[str, str]:
        """ENV key=value pairs declared in this stage (later ones win)."""
        return {k: v for i in self.all("ENV") for k, v in i.envs.items()}

    def args(self) -> dict[str, str | None]:
        return {k: v for i in self.all("ARG") for k, v in i.arg_defaults.items()}


@dataclass
class Dockerfile:
    path: Path
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage_names(self) -> set[str]:
        return {s.name for s in self.stages if s.name}


def _arg_defaults(value: str) -> dict[str, str | None]:
    name, sep, default = value.strip().partition("=")
    return {name: default.strip('"') if sep else None}


def parse_dockerfile(path: Path) -> Dockerfile:
    """The file's stages and instructions as dockerfile-parse reads them."""
    parser = DockerfileParser(fileobj=io.BytesIO(path.read_bytes()), env_replace=False)
    bases = iter(parser.parent_images)  # FROM references with the ARG defaults substituted
    stages: list[Stage] = []
    for item, context in zip(parser.structure, parser.context_structure, strict=True):
        keyword, value = item["instruction"], item["value"]
        if keyword == "COMMENT":
            continue
        if keyword == "FROM":
            tokens = [t for t in value.split() if not t.startswith("--")]
            name = tokens[2] if len(tokens) >= 3 and tokens[1].upper() == "AS" else None
            stages.append(Stage(base=next(bases), name=name))
        elif not stages:
            assert keyword == "ARG", f"{path.name}:{item['startline'] + 1}: only ARG before FROM"
        else:
            stages[-1].instructions.append(
                Instruction(
                    keyword,
                    value,
                    item["startline"] + 1,
                    dict(context.line_envs) if keyword == "ENV" else {},
                    _arg_defaults(value) if keyword == "ARG" else {},
                )
            )
    return Dockerfile(path=path, stages=stages)


@dataclass
class Copy:
    sources: list[str]
    dest: str
    flags: dict[str, str]
    line: int


def copies(stage: Stage) -> list[Copy]:
    result: list[Copy] = []
    for instruction in stage.all("COPY") + stage.all("ADD"):
        assert instruction.keyword == "COPY", f"line {instruction.line}: use COPY, not ADD"
        tokens = shlex.split(instruction.args)
        flags: dict[str, str] = {}
        while tokens and tokens[0].startswith("--"):
            key, _, value = tokens.pop(0)[2:].partition("=")
            flags[key] = value
        rest = " ".join(tokens)
        if rest.startswith("["):
            tokens = json.loads(rest)
        result.append(Copy(tokens[:-1], tokens[-1], flags, instruction.line))
    return result


def image_tag(reference: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference such as registry:5000/a/b:1.2@sha256:..."""
    name, _, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    return name, tag, digest or None


def is_pinned(reference: str) -> bool:
    """A digest, or a tag that names a version (has a digit) and is not `latest`."""
    _, tag, digest = image_tag(reference)
    if digest:
        return True
    return (
        tag is not None and tag != "latest" and "latest" not in tag and bool(re.search(r"\d", tag))
    )


# --------------------------------------------------------------------------------------------
# .dockerignore


def dockerignore_spec(lines: list[str] | None = None) -> pathspec.PathSpec:
    """.dockerignore (or the given lines) as a pathspec matcher.

    Docker matches every pattern from the context root (`*.md` means the top level only, unlike
    .gitignore), a pattern that matches a folder excludes what is inside it, and the last
    matching line wins (`!` brings paths back). Anchoring each pattern with a leading `/` gives
    pathspec's wildcard rules exactly that behaviour.
    """
    if lines is None:
        lines = DOCKERIGNORE.read_text().splitlines()
    patterns = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line.lstrip("!").strip().strip("/").removeprefix("./")
        patterns.append(("!" if negate else "") + "/" + line)
    return pathspec.PathSpec.from_lines("gitignore", patterns)


def is_ignored(relative: str, spec: pathspec.PathSpec) -> bool:
    """Whether the path (relative to the context) is left out of the build context."""
    return spec.match_file(relative.strip("/"))


# --------------------------------------------------------------------------------------------
# Compose


def load_compose_raw() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict)
    return data


class InterpolationError(ValueError):
    pass


_VARIABLE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<plain>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $VAR, ${VAR}, ${VAR:-d}, ${VAR-d}, ${VAR:?e}, ${VAR?e}, $$."""

    def value(match: re.Match[str]) -> str:
        if match.group("escaped"):
            return "$"
        name = match.group("braced") or match.group("plain")
        op, arg = match.group("op"), match.group("arg")
        assert arg is None or "$" not in arg, f"nested interpolation in ${{{name}...}}"
        present = name in env
        current = env.get(name, "")
        if op in (":-", "-"):
            use_default = not current if op == ":-" else not present
            return arg if use_default else current
        if op in (":?", "?"):
            missing = not current if op == ":?" else not present
            if missing:
                raise InterpolationError(f"{name}: {arg}")
            return current
        if op in (":+", "+"):
            return arg if (current if op == ":+" else present) else ""
        return current

    return _VARIABLE.sub(value, text)


def interpolated_variables(text: str) -> dict[str, list[str]]:
    """Every variable the text interpolates -> the operators it is used with ('' = bare)."""
    found: dict[str, list[str]] = {}
    for match in _VARIABLE.finditer(text):
        if match.group("escaped"):
            continue
        name = match.group("braced") or match.group("plain")
        found.setdefault(name, []).append(match.group("op") or "")
    return found


def interpolate_tree(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, env) for key, value in node.items()}
    return node


def load_compose(env: dict[str, str]) -> dict[str, Any]:
    """The compose file as Compose sees it with `env` as its environment (.env)."""
    return interpolate_tree(load_compose_raw(), env)  # type: ignore[no-any-return]


def enabled_services(compose: dict[str, Any], profiles: set[str]) -> dict[str, Any]:
    """The services Compose starts with these active profiles."""
    return {
        name: service
        for name, service in compose["services"].items()
        if not service.get("profiles") or profiles & set(service["profiles"])
    }


def seconds(duration: str) -> float:
    """A Compose duration such as 1m30s, 60s or 500ms, in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, f"bad duration {duration!r}"
    return sum(float(n) * units[u] for n, u in parts)


# --------------------------------------------------------------------------------------------
# env files


@dataclass
class EnvFile:
    values: dict[str, str]  # active KEY=value lines
    documented: set[str]  # every KEY with a line, active or commented out ("# KEY=...")


def parse_env_file(path: Path = ENV_EXAMPLE) -> EnvFile:
    values: dict[str, str] = {}
    documented: set[str] = set()
    for raw in path.read_text().splitlines():
        line = raw.strip()
        commented = re.match(r"#\s*([A-Z][A-Z0-9_]*)=", line)
        if commented:
            documented.add(commented.group(1))
            continue
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"bad line in {path.name}: {raw!r}"
        values[key] = value
        documented.add(key)
    return EnvFile(values, documented)
