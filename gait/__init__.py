"""gait: running-form analysis from ordinary video."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gait")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0+unknown"

__all__ = ["__version__"]
