"""Name -> object registries, filled from Python entry points.

deepzoo has one :class:`Registry` per kind of building block: ``layers``,
``activations``, ``losses``, ``optimizers``, ``initializers``, ``metrics`` and
``demos``. Each reads the entry
point group ``deepzoo.<kind>``. deepzoo declares its own built-ins in that group
too, so a built-in and a third-party plugin travel the same road::

    # a plugin's pyproject.toml
    [project.entry-points."deepzoo.layers"]
    gaussian_noise = "my_package.layers:GaussianNoise"

Rules the registries keep:

* Entry points are read the first time a name is looked up or listed, never at
  ``import deepzoo``; a plugin's module is imported only when its name is asked for.
* A plugin that fails to import gives a warning naming it; the other names work.
* A plugin cannot take a name deepzoo already uses: its entry point is skipped with
  a warning. In code, ``register(name, obj, override=True)`` replaces a name on purpose.
* An unknown name raises :class:`~deepzoo.errors.RegistryError` listing the names
  there are and the closest match.

* :meth:`Registry.resolve` turns what a user may write (a name, a class, an
  instance) into the object, for every kind alike.

This module imports nothing else from deepzoo but its errors. It imports
``importlib.metadata``, ``inspect`` and ``difflib`` only when it first needs
them, so that ``import deepzoo`` stays fast.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError, RegistryError

OWN_DISTRIBUTION = "deepzoo"


class PluginWarning(UserWarning):
    """A plugin entry point was skipped or could not be loaded."""


@dataclass
class Entry:
    """One registered name: the object once loaded, and where it comes from."""

    name: str
    obj: Any = None
    entry_point: Any = None  # an importlib.metadata.EntryPoint
    distribution: str | None = None  # None: registered in code
    loaded: bool = False

    @property
    def builtin(self) -> bool:
        return self.distribution == OWN_DISTRIBUTION

    @property
    def source(self) -> str:
        if self.builtin:
            return "built-in"
        if self.distribution:
            return f"plugin ({self.distribution})"
        return "registered in code"


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_")


class Registry:
    """A lazily filled mapping of names to objects for one kind of block.

    Parameters
    ----------
    kind : str
        Plural noun used in messages and in the entry-point group name
        (``"layers"`` reads the group ``deepzoo.layers``).
    """

    def __init__(self, kind: str, aliases: dict[str, str] | None = None):
        self.kind = kind
        #: one of them: "layer", "loss", ...
        self.singular = kind[:-2] if kind.endswith("sses") else kind[:-1]
        self.group = f"deepzoo.{kind}"
        #: short names that stand for registered ones ("mse" for "mean_squared_error")
        self.aliases = dict(aliases or {})
        self._entries: dict[str, Entry] = {}
        self._scanned = False

    # -- filling -------------------------------------------------------------
    def _scan(self) -> None:
        """Read the entry points of this group once (without importing them)."""
        if self._scanned:
            return
        self._scanned = True
        from importlib import metadata

        points = sorted(
            metadata.entry_points(group=self.group),
            # deepzoo's own names first, so a plugin can never claim one of them
            key=lambda ep: (_dist_name(ep) != OWN_DISTRIBUTION, _dist_name(ep) or ""),
        )
        for ep in points:
            name = _normalise(ep.name)
            dist = _dist_name(ep)
            existing = self._entries.get(name)
            if existing is not None:
                if existing.entry_point is not None and existing.entry_point.value == ep.value:
                    continue  # the same distribution seen twice on sys.path
                warnings.warn(
                    f"{self.singular} '{name}' from {dist or 'an unknown package'} "
                    f"({ep.value}) was skipped: the name is already taken by "
                    f"{existing.source} ({_where(existing)}). Register it in code with "
                    f"override=True to replace it on purpose.",
                    PluginWarning,
                    stacklevel=3,
                )
                continue
            self._entries[name] = Entry(name, entry_point=ep, distribution=dist)
        if not any(e.builtin for e in self._entries.values()) and self.kind != "demos":
            warnings.warn(
                f"no built-in {self.kind} were found in the entry-point group '{self.group}'. "
                "Is deepzoo installed (pip install -e .)? Running it from a source tree "
                "without installing it leaves its entry points undeclared.",
                PluginWarning,
                stacklevel=3,
            )

    def register(
        self, name: str, obj: Any = None, *, override: bool = False
    ) -> Callable[[Any], Any] | Any:
        """Register ``obj`` under ``name``; without ``obj`` return a decorator.

        A name that is already taken raises :class:`RegistryError` unless
        ``override=True``.
        """
        if not isinstance(name, str) or not name.strip():
            raise RegistryError(f"a {self.singular} name must be a non-empty string, got {name!r}")

        def do_register(target: Any) -> Any:
            self._scan()
            key = _normalise(name)
            existing = self._entries.get(key)
            if existing is not None and not override:
                raise RegistryError(
                    f"cannot register {self.singular} '{key}': the name is already taken by "
                    f"{existing.source} ({_where(existing)}). Pass override=True to replace it."
                )
            self._entries[key] = Entry(key, obj=target, loaded=True)
            return target

        if obj is None:
            return do_register
        return do_register(obj)

    def unregister(self, name: str) -> None:
        """Forget a name (used by tests and by code that registered it)."""
        self._scan()
        self._entries.pop(_normalise(name), None)

    # -- looking up ----------------------------------------------------------
    def get(self, name: str) -> Any:
        """Return the object registered under ``name``, importing it if needed."""
        if not isinstance(name, str):
            raise RegistryError(
                f"a {self.singular} is looked up by name (a string), got {type(name).__name__}"
            )
        self._scan()
        key = _normalise(name)
        key = self.aliases.get(key, key)
        entry = self._entries.get(key)
        if entry is None:
            raise RegistryError(self._unknown_message(name))
        if not entry.loaded:
            try:
                entry.obj = entry.entry_point.load()
            # a broken plugin must not break anything else, nor end the process (sys.exit)
            except (Exception, SystemExit) as exc:
                message = (
                    f"{self.singular} '{key}' from {entry.distribution} could not be loaded "
                    f"from {entry.entry_point.value}: {type(exc).__name__}: {exc}"
                )
                warnings.warn(message, PluginWarning, stacklevel=2)
                raise RegistryError(message) from exc
            entry.loaded = True
        return entry.obj

    def __contains__(self, name: object) -> bool:
        self._scan()
        return isinstance(name, str) and self.aliases.get(_normalise(name), _normalise(name)) in self._entries

    def resolve(self, spec, base: type, *, instantiate: bool = True):
        """What a user wrote for a block of this kind, as the block itself.

        An instance of ``base`` comes back as it is; a subclass of ``base``, or a
        registered name, comes back instantiated with no arguments (or, with
        ``instantiate=False``, as the registered object itself: initializers are
        plain functions). Anything else raises :class:`ConfigError` saying what
        this kind accepts.
        """
        if isinstance(spec, str):
            obj = self.get(spec)
            return obj() if instantiate else obj
        if isinstance(spec, type) and issubclass(spec, base):
            return spec() if instantiate else spec
        if isinstance(spec, base):
            return spec
        raise ConfigError(
            f"a{'n' if self.kind[0] in 'aeiou' else ''} {self.singular} is given by registered name, "
            f"class or instance; received {type(spec).__name__} {spec!r}"
        )

    def names(self) -> list[str]:
        """All registered names, sorted, without importing any plugin."""
        self._scan()
        return sorted(self._entries)

    def find(self, name: str) -> dict[str, Any]:
        """Tell where ``name`` comes from: source, distribution, module, file and line."""
        self._scan()
        key = _normalise(name)
        if key not in self._entries:
            raise RegistryError(self._unknown_message(name))
        entry = self._entries[key]
        info: dict[str, Any] = {
            "name": key,
            "source": entry.source,
            "distribution": entry.distribution,
            "entry_point": entry.entry_point.value if entry.entry_point else None,
        }
        if entry.loaded or entry.entry_point is not None:
            import inspect

            try:
                obj = self.get(key)
                info["module"] = getattr(obj, "__module__", None)
                info["file"] = inspect.getsourcefile(obj)
                info["line"] = inspect.getsourcelines(obj)[1]
            except (TypeError, OSError, RegistryError):
                pass
        return info

    def find_source(self, name: str) -> str:
        """``"built-in"``, ``"plugin (dist)"`` or ``"registered in code"``, without importing."""
        self._scan()
        return self._entries[_normalise(name)].source

    def name_of(self, obj: Any) -> str | None:
        """The registered name of ``obj`` (a class or function), or None."""
        self._scan()
        target = f"{getattr(obj, '__module__', '')}:{getattr(obj, '__qualname__', '')}"
        for entry in self._entries.values():
            if entry.loaded and entry.obj is obj:
                return entry.name
            if not entry.loaded and entry.entry_point is not None and entry.entry_point.value == target:
                return entry.name
        return None

    def _unknown_message(self, name: str) -> str:
        import difflib

        names = sorted(self._entries)
        close = difflib.get_close_matches(_normalise(name), names, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return (
            f"unknown {self.singular} '{name}'.{hint} Available {self.kind}: "
            f"{', '.join(names) if names else '(none)'}. Plugins add names through the "
            f"entry-point group '{self.group}'."
        )

    def __repr__(self) -> str:
        return f"Registry({self.kind!r})"


def _dist_name(ep) -> str | None:
    dist = getattr(ep, "dist", None)
    return dist.metadata["Name"] if dist is not None else None


def _where(entry: Entry) -> str:
    if entry.entry_point is not None:
        return entry.entry_point.value
    obj = entry.obj
    return f"{getattr(obj, '__module__', '?')}:{getattr(obj, '__qualname__', repr(obj))}"


layers = Registry("layers")
activations = Registry("activations")
losses = Registry("losses", aliases={"mse": "mean_squared_error", "sse": "sum_squared_error",
                                     "mae": "mean_absolute_error", "kld": "kl_divergence"})
optimizers = Registry("optimizers")
initializers = Registry("initializers")
metrics = Registry("metrics", aliases={"mse": "mean_squared_error", "mae": "mean_absolute_error"})
demos = Registry("demos")

REGISTRIES = {r.kind: r for r in (layers, activations, losses, optimizers, initializers, metrics, demos)}

register_layer = layers.register
register_activation = activations.register
register_loss = losses.register
register_optimizer = optimizers.register
register_initializer = initializers.register
register_metric = metrics.register
register_demo = demos.register
