"""Every package of authgate declares ``__all__`` and exports only real names
(httpx ``tests/test_exported_members.py``)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import authgate
from authgate import core


def _packages(path: Path, prefix: str) -> list[str]:
    """Package names found on disk (nothing imported while collecting, so a
    package that fails to import fails its own test, not the whole run)."""
    found = [prefix.rstrip(".")]
    for info in pkgutil.iter_modules([str(path)], prefix):
        if info.ispkg:
            found += _packages(path / info.name.rsplit(".", 1)[-1], info.name + ".")
    return found


PACKAGES = _packages(Path(authgate.__file__).parent, "authgate.")
CORE_MODULES = [
    info.name
    for info in pkgutil.iter_modules(
        [str(Path(authgate.__file__).parent / "core")], "authgate.core."
    )
    if not info.ispkg
]


def test_the_walk_finds_the_core() -> None:
    """The discovery itself works (an empty walk would pass vacuously)."""
    assert {"authgate", "authgate.core"} <= set(PACKAGES)
    assert {"authgate.core.keys", "authgate.core.tokens", "authgate.core.jws"} <= set(CORE_MODULES)


@pytest.mark.parametrize("name", PACKAGES + CORE_MODULES)
def test_all_is_declared_and_every_name_exists(name: str) -> None:
    """``__all__`` exists, has no duplicates, and each name in it is defined."""
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [member for member in exported if not hasattr(module, member)]
    assert missing == [], f"{name}.__all__ names missing members: {missing}"


def test_core_package_reexports_are_the_same_objects() -> None:
    """Names re-exported by ``authgate.core`` are the submodules' own objects
    (no shadow copies drifting apart)."""
    for module_name in CORE_MODULES:
        module = importlib.import_module(module_name)
        for member in getattr(module, "__all__", ()):
            if member in core.__all__:
                assert getattr(core, member) is getattr(module, member), member
