"""Public names of a package imported from their modules on first use (PEP 562), so that
importing the package, or one light module of it, does not load every heavy dependency
(numba, scipy, the geospatial stack) of its siblings."""

from __future__ import annotations

from importlib import import_module


def lazy_names(package: str, names: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package`` exporting ``names`` (public name ->
    the module that defines it), each imported the first time it is asked for."""
    namespace = import_module(package).__dict__

    def __getattr__(name: str):
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
