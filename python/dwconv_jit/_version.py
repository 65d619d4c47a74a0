"""Versions this binding is built against; both must match the TypeScript package's."""

#: The package version (package.json's "version"); cache entries record it in meta.json parts.package.
PACKAGE_VERSION = "0.1.0"
#: The artifact's C ABI version, as the `<symbol>_info()` self-description reports it.
ABI_VERSION = 3
#: The cache format version meta.json carries; an entry of another format is never loaded.
CACHE_FORMAT_VERSION = 1

__version__ = PACKAGE_VERSION
