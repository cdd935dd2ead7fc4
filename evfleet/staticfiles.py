"""Static files: front-end assets that ship inside installed Python packages (nothing comes from a CDN), and the
storage that gives every collected file a name with its content's hash, so browsers may keep it for good.

WhiteNoise serves a hashed name (`css/app.d23ef15b6efd.css`) with `Cache-Control: max-age=315360000, public,
immutable` and, from STATIC_ROOT, compressed (Brotli or gzip, as the browser accepts); any other static URL
with the short WHITENOISE_MAX_AGE. `collectstatic` writes the hashed copies and the manifest (`make run` runs it,
as the production set-up in README.md does). Without a manifest (collectstatic never ran: the test suite, or
`manage.py serve` on a fresh checkout) pages link the plain names, which WhiteNoise finds through the finders.
"""

import logging
import os
from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)

# static path -> file inside an installed package
PACKAGE_ASSETS = {
    "vendor/plotly.min.js": Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
}


class PackageAssetFinder(BaseFinder):
    """Finds the files listed in PACKAGE_ASSETS for collectstatic and WhiteNoise."""

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        source = PACKAGE_ASSETS.get(path)
        if source is None or not source.exists():
            return [] if find_all else None
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns):
        for static_path, source in PACKAGE_ASSETS.items():
            storage = FileSystemStorage(location=str(source.parent))
            storage.prefix = str(Path(static_path).parent)
            yield source.name, storage


class HashedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's manifest storage (hashed names, compressed copies), with two changes.

    - Only the hashed copies are compressed, each once: a hashed name stands for its content, so a compressed
      file already there is still right, and `collectstatic` on an unchanged tree (every `make run`) does not
      compress Plotly's 4.8 MB again. The plain names are served from their sources by WhiteNoise's finders
      (WHITENOISE_USE_FINDERS), never from STATIC_ROOT, so their compressed copies would go unused.
    - A name the manifest lacks (no manifest at all, or a file added since `collectstatic`) is linked by its
      plain name, served with the short cache lifetime, instead of failing the page.
    """

    def compress_files(self, paths):
        hashed = set(self.hashed_files.values())
        todo = [
            path
            for path in paths
            if path in hashed and not any(os.path.exists(self.path(path) + suffix) for suffix in (".br", ".gz"))
        ]
        yield from super().compress_files(todo)

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            if self.hashed_files:  # a manifest, but not this file: say so, once per process and name
                _warn_unhashed(name)
            return name


_warned: set[str] = set()


def _warn_unhashed(name: str) -> None:
    if name not in _warned:
        _warned.add(name)
        logger.warning("Static file %s is not in the manifest: run `manage.py collectstatic`.", name)
