"""Clear errors for the Keras names the facade does not have.

Each facade module lists the Keras names a learner may reach for that deepzoo
does not implement yet; asking for one raises
:class:`~deepzoo.errors.MissingFeatureError` naming it, instead of a bare
``AttributeError`` or an ``ImportError`` that says nothing of why.
"""

from __future__ import annotations

from ..errors import MissingFeatureError


def missing_names(module: str, names: dict):
    """A module ``__getattr__`` for ``names`` (Keras name -> what to do instead, or "")."""

    def __getattr__(name):
        if name in names:
            hint = f" {names[name]}" if names[name] else ""
            raise MissingFeatureError(f"{module}.{name} is a Keras feature that deepzoo does not "
                                      f"implement yet.{hint}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__
