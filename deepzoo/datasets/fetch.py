"""Finding data files, or downloading them once with a checksum (pooch).

Where a file is looked for, in order:

1. the ``data_dir`` argument of the loader;
2. the folder named by the ``DEEPZOO_DATA`` environment variable;
3. deepzoo's folder in the user's cache (``pooch.os_cache("deepzoo")``, e.g.
   ``~/.cache/deepzoo`` on Linux), or the ``cache_dir`` argument.

In the first two, a file may sit at the top or in the data set's subfolder
(``mnist/train-images-idx3-ubyte.gz``). A file found nowhere is downloaded into
the cache. Every file, found or downloaded, must match its SHA-256 checksum: a
corrupt or truncated file raises :class:`~deepzoo.errors.DataError` instead of
yielding garbage.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

from ..errors import DataError

ENV_VAR = "DEEPZOO_DATA"


def _candidates(name, subdir, data_dir):
    folders = []
    if data_dir is not None:
        folders.append(Path(data_dir))
    if os.environ.get(ENV_VAR):
        folders.append(Path(os.environ[ENV_VAR]))
    for folder in folders:
        yield from (folder / subdir / name, folder / name)


def fetch(dataset, files, subdir, url, data_dir=None, cache_dir=None):
    """The contents of ``files`` (``{name: sha256}``) as ``{name: bytes}``, found locally or
    downloaded from ``url``; each file is read once, and the bytes that were hashed are
    the bytes returned."""
    import pooch

    cache = Path(cache_dir) if cache_dir is not None else Path(pooch.os_cache("deepzoo"))
    found, missing = {}, []
    for name, sha256 in files.items():
        path = next((p for p in _candidates(name, subdir, data_dir) if p.is_file()), None)
        if path is not None:
            found[name] = _checked_contents(dataset, path, sha256)
        else:
            missing.append(name)
    for name in missing:
        path = _download(dataset, name, files[name], subdir, url, cache, files, data_dir)
        found[name] = _checked_contents(dataset, path, files[name])
    return found


def _checked_contents(dataset, path, sha256) -> bytes:
    """The bytes of ``path``, read once, after checking their SHA-256."""
    data = Path(path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise DataError(
            f"{dataset}: {path} is corrupt or truncated: its SHA-256 is {actual}, expected "
            f"{sha256} ({path.stat().st_size:,} bytes on disk). Delete it to download it again, "
            f"or replace it with the original file."
        )
    return data


def _download(dataset, name, sha256, subdir, url, cache, files, data_dir):
    import pooch
    import requests

    target = cache / subdir
    try:
        return Path(pooch.retrieve(
            url=url.rstrip("/") + "/" + name, known_hash=f"sha256:{sha256}", fname=name,
            path=target, progressbar=sys.stderr.isatty(),
        ))
    except ValueError as exc:  # pooch's checksum mismatch
        raise DataError(
            f"{dataset}: the download of {name} from {url} is corrupt or truncated (checksum "
            f"mismatch: {exc}). Try again later or from another mirror (url=...)."
        ) from None
    except (requests.exceptions.RequestException, OSError) as exc:
        places = [str(Path(data_dir) / subdir)] if data_dir is not None else []
        if os.environ.get(ENV_VAR):
            places.append(str(Path(os.environ[ENV_VAR]) / subdir))
        places.append(str(target))
        raise DataError(
            f"{dataset}: {name} is not on this machine and could not be downloaded from {url} "
            f"({type(exc).__name__}: {exc}). Offline? Put the files {', '.join(files)} in one of: "
            f"{'; '.join(places)} (or point {ENV_VAR} at a folder holding them)."
        ) from None
