"""Restricted unpickling of what a sandbox worker sends back.

The worker parses hostile files, so the parent must assume it can be taken over by one. A plain
`pickle.loads` of its reply would then hand the attacker code execution in the API process
(pickles can call any importable function). Replies may therefore hold only builtin data,
NumPy arrays and scalars without Python-object dtypes, and instances of classes defined in
`mtecg` (dataclasses, `Rejection`, enums) - never a function.
"""

from __future__ import annotations

import importlib
import io
import pickle
from collections.abc import Callable
from typing import Any, Final

import numpy as np

_BUILTINS: Final = frozenset({"complex", "slice", "range", "set", "frozenset", "bytearray"})
_NUMPY_TYPES: Final = {("numpy", "dtype"): np.dtype, ("numpy", "ndarray"): np.ndarray}
# NumPy's private reconstructors, by the module names NumPy 1.x and 2.x pickle them under.
_NUMPY_FUNCS: Final = frozenset(
    {
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.core.numeric", "_frombuffer"),
    }
)


def _plain_dtype(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a reconstructor that builds from raw bytes so it refuses object dtypes.

    Raw bytes read as an object dtype would be used as PyObject pointers.
    ``_reconstruct`` is safe as is: NumPy refuses raw bytes for object arrays there.
    """

    def guarded(*args: Any) -> Any:
        for arg in args:
            if isinstance(arg, np.dtype) and arg.hasobject:
                raise pickle.UnpicklingError("object arrays are not accepted")
        return fn(*args)

    return guarded


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        if (module, name) in _NUMPY_TYPES:
            return _NUMPY_TYPES[(module, name)]
        if (module, name) in _NUMPY_FUNCS:
            fn = super().find_class(module, name)
            return fn if name == "_reconstruct" else _plain_dtype(fn)
        if module == "mtecg" or module.startswith("mtecg."):
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type):
                return found
        raise pickle.UnpicklingError(f"global {module}.{name} is not accepted")


def loads(data: bytes) -> Any:
    """`pickle.loads` limited to the types above; anything else is `pickle.UnpicklingError`."""
    return _Unpickler(io.BytesIO(data)).load()
