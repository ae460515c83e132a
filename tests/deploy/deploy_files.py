"""Readers for the deployment files, for tests that cannot run Docker.

Small, strict re-implementations of what Docker and Compose do with these files: the Dockerfile
instruction grammar (continuations, comments, exec/shell forms, ARG defaults in FROM), the
.dockerignore matching rules, Compose's ${VAR} interpolation and the env-file syntax.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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
    args: str  # the rest of the logical line, continuations joined
    line: int  # where it starts (1-based)

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
        values: dict[str, str] = {}
        for instruction in self.all("ENV"):
            for token in shlex.split(instruction.args):
                key, sep, value = token.partition("=")
                assert sep, f"ENV in the legacy 'KEY value' form at line {instruction.line}"
                values[key] = value
        return values

    def args(self) -> dict[str, str | None]:
        values: dict[str, str | None] = {}
        for instruction in self.all("ARG"):
            key, sep, value = instruction.args.strip().partition("=")
            values[key] = value.strip('"') if sep else None
        return values


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str | None]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage_names(self) -> set[str]:
        return {s.name for s in self.stages if s.name}


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Joins continuation lines; drops comments and blank lines (also inside continuations)."""
    result: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer.append(stripped[:-1].rstrip())
            continue
        buffer.append(stripped)
        result.append((start, " ".join(part for part in buffer if part)))
        buffer = []
    assert not buffer, "the file ends inside a continued line"
    return result


def _substitute(text: str, args: dict[str, str | None]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        found = args.get(name)
        assert found is not None, f"FROM uses ARG {name} with no default"
        return found

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, text)


def parse_dockerfile(path: Path) -> Dockerfile:
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for line, content in logical_lines(path.read_text()):
        keyword, _, args = content.partition(" ")
        keyword = keyword.upper()
        instruction = Instruction(keyword, args.strip(), line)
        if keyword == "FROM":
            tokens = [t for t in args.split() if not t.startswith("--")]
            base = _substitute(tokens[0], global_args)
            name = tokens[2] if len(tokens) >= 3 and tokens[1].upper() == "AS" else None
            stages.append(Stage(base=base, name=name))
        elif not stages:
            assert keyword == "ARG", f"{path.name}:{line}: only ARG may come before FROM"
            key, sep, value = args.strip().partition("=")
            global_args[key] = value.strip('"') if sep else None
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(path=path, global_args=global_args, stages=stages)


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


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax (Go filepath.Match plus `**`) as a regular expression."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out += "(?:.*/)?"
            else:
                out += ".*"
            continue
        char = pattern[i]
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char in "[]\\":
            raise AssertionError(f"unsupported .dockerignore syntax in {pattern!r}")
        else:
            out += re.escape(char)
        i += 1
    return re.compile(out + r"\Z")


def dockerignore_rules(path: Path = DOCKERIGNORE) -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line.lstrip("!").strip().strip("/")
        line = re.sub(r"/+", "/", line).removeprefix("./")
        rules.append((negate, _pattern_regex(line)))
    return rules


def is_ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether the path (relative to the context) is left out of the build context.

    Like Docker's pattern matcher: a rule applies when it matches the path or one of its parent
    folders, and the last rule that applies wins (`!` rules bring paths back).
    """
    parts = relative.strip("/").split("/")
    prefixes = ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]
    excluded = False
    for negate, regex in rules:
        if any(regex.match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


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
