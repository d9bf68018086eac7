"""Lazy package attributes (PEP 562): a package names what it exports, each module loads on first use."""
from __future__ import annotations

import importlib

__all__ = ["lazy_exports"]


def lazy_exports(package: str, namespace: dict, public: dict):
    """(``__getattr__``, ``__dir__``, ``__all__``) for a package exporting ``{module: (names...)}`` lazily.

    ``namespace`` is the package's ``globals()``: a name, once loaded, is stored there so later
    look-ups skip ``__getattr__``.
    """
    module_of = {name: module for module, names in public.items() for name in names}

    def __getattr__(name: str):
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(module_of))

    return __getattr__, __dir__, sorted(module_of)
