"""Layering: ``authgate.core`` never pulls in a web framework, a database driver
or Redis (DESIGN.md "Layers"; STYLE.md)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import authgate.core

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "redis", "uvicorn", "asyncpg", "aiosqlite")
ALLOWED_THIRD_PARTY = {"jwt", "argon2", "cryptography"}
CORE_DIR = Path(authgate.core.__file__).parent


def test_importing_core_loads_no_framework_driver_or_redis() -> None:
    """In a fresh interpreter, ``import authgate.core`` leaves every forbidden
    top-level package (and its submodules) out of ``sys.modules``."""
    script = (
        "import json, sys\n"
        "import authgate.core\n"
        f"forbidden = {FORBIDDEN!r}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in forbidden)\n"
        "print(json.dumps({'core': 'authgate.core' in sys.modules, 'loaded': loaded}))\n"
    )
    result = subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(result.stdout)
    assert report["core"] is True
    assert report["loaded"] == []


def _imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module)
    return roots


def test_core_source_imports_only_stdlib_pyjwt_argon2_cryptography() -> None:
    """Statically, every import in ``core/`` is the stdlib, PyJWT, argon2-cffi,
    cryptography or ``authgate.core`` itself — including lazy imports inside
    functions, which the subprocess check above would miss."""
    offenders: dict[str, list[str]] = {}
    files = sorted(CORE_DIR.rglob("*.py"))
    assert files
    for path in files:
        for name in _imported_roots(path.read_text(encoding="utf-8")):
            top = name.split(".")[0]
            if top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY:
                continue
            if name == "authgate.core" or name.startswith("authgate.core."):
                continue
            offenders.setdefault(path.name, []).append(name)
    assert offenders == {}
