"""One typed helper for every environment variable the platform reads (12-factor, secure defaults)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_number(name: str, default: float, cast: type[int] | type[float], what: str) -> Any:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be {what}, got {raw!r}") from exc


def env_int(name: str, default: int) -> int:
    return int(_env_number(name, default, int, "an integer"))


def env_float(name: str, default: float) -> float:
    return float(_env_number(name, default, float, "a number"))


def env_bool(name: str, *, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name} must be a boolean (true/false), got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def data_dir() -> Path:
    path = Path(env_str("EARLYWARN_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def secret_key(directory: Path) -> str:
    """EARLYWARN_SECRET_KEY, or a key generated once into the data directory (mode 0600)."""
    explicit = env_str("EARLYWARN_SECRET_KEY")
    if explicit:
        return explicit
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(64)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key
