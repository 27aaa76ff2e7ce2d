"""NVIDIA libraries that pip installs for the GPU path (install.sh --gpu), made findable.

CTranslate2 (faster-whisper) looks cuBLAS and cuDNN up by name at run time, and the
nvidia-* pip packages put them in site-packages, off the library path. Loading them once,
globally, before CTranslate2 is imported lets it find them with no LD_LIBRARY_PATH.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

_LOGGER = logging.getLogger(__name__)


def preload_cuda_libraries() -> list[str]:
    """Load cuBLAS and cuDNN from the nvidia-* pip packages, if installed; their names."""
    try:
        import nvidia  # a namespace package: present only with the pip-installed libraries
    except ImportError:
        return []
    loaded = []
    for root in getattr(nvidia, "__path__", []):
        for family in ("cublas", "cudnn"):
            for library in sorted((Path(root) / family / "lib").glob("lib*.so*")):
                try:
                    ctypes.CDLL(str(library), mode=ctypes.RTLD_GLOBAL)
                except OSError as err:
                    _LOGGER.warning("cannot load %s for the GPU: %s", library, err)
                    continue
                loaded.append(library.name)
    if loaded:
        _LOGGER.info("loaded %d NVIDIA libraries for CTranslate2", len(loaded))
    return loaded
