"""Documentation examples run in CI (argon2 style doctests)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import authgate.core


def test_core_package_docstring_example_runs() -> None:
    """The usage example in ``authgate.core``'s docstring executes and prints
    what it shows."""
    result = doctest.testmod(authgate.core, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


def test_every_core_module_doctest_passes() -> None:
    """Any ``>>>`` example in a core module's docstrings is correct."""
    for info in pkgutil.iter_modules(authgate.core.__path__, "authgate.core."):
        module = importlib.import_module(info.name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
        assert result.failed == 0, info.name
