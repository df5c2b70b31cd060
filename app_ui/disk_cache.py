"""Stage results on disk in a format that cannot run code when it is read.

The app keeps its stage results (:class:`analysis.pipeline.Inputs`, the coverage, the gaps,
the siting) under ``<workspace>/cache`` so that a restarted app starts warm. A workspace
folder travels — a shared drive, a copy handed to a colleague — so nothing read from it may
execute: no pickle (issue #12). A value is written as one ``.npz`` file:

- every numpy array is an ``.npy`` member, read back with ``allow_pickle=False`` (object
  arrays are refused on both sides);
- the structure around them is a JSON manifest (member ``__manifest__``): plain JSON for
  ``None``/bool/int/float/str, tagged nodes for lists, tuples, dicts (any hashable key the
  codec can write), numpy scalars, DataFrames and GeoDataFrames (column by column; geometry
  as WKB), shapely geometries, CRSs (WKT) and affine transforms;
- dataclasses are written field by field and rebuilt only if their class is a dataclass
  defined in the library's own packages (:data:`ALLOWED_PACKAGES`); nothing else is ever
  imported or called by name.

A value the codec cannot write raises :class:`Unencodable` (the caller then keeps it in
memory only); a file that is damaged, foreign or names anything outside the rules raises
:class:`Undecodable` (the caller recomputes).
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["FORMAT", "ALLOWED_PACKAGES", "Unencodable", "Undecodable", "dump", "load"]

#: Bumped whenever the layout changes; part of every cache key.
FORMAT = "lomsong-npz-1"
#: Dataclasses are rebuilt only from modules of these packages.
ALLOWED_PACKAGES = ("geo", "analysis")
#: Refuse manifests larger than this (a stage result's manifest is a few hundred KB).
MAX_MANIFEST_BYTES = 64 * 2**20

_MODULE_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAFE_DTYPE_KINDS = "biufcmMSU"  # bool, ints, floats, complex, datetime, bytes, unicode
_SERIES_DTYPES = {"object", "str", "string", "boolean", "category"}


class Unencodable(TypeError):
    """The value holds something the safe cache format cannot write."""


class Undecodable(ValueError):
    """A cache file is damaged, foreign, or names something outside the allowed rules."""


# ------------------------------------------------------------------------------ writing
class _Writer:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def array(self, a: np.ndarray) -> str:
        a = np.asarray(a)
        if a.dtype.kind not in _SAFE_DTYPE_KINDS:
            msg = f"array of dtype {a.dtype} cannot be cached safely"
            raise Unencodable(msg)
        name = f"a{len(self.arrays)}"
        self.arrays[name] = a
        return name

    def value(self, v: Any) -> Any:  # noqa: PLR0911 - one branch per kind, read in order
        if v is None or type(v) in (bool, int, float, str):
            return v
        if isinstance(v, np.generic):
            return {"t": "npscalar", "a": self.array(np.asarray(v))}
        if isinstance(v, np.ndarray):
            return {"t": "nd", "a": self.array(v)}
        if isinstance(v, (list, tuple)):
            return {"t": "tuple" if isinstance(v, tuple) else "list",
                    "v": [self.value(x) for x in v]}
        if isinstance(v, dict):
            return {"t": "dict", "k": [self.value(k) for k in v],
                    "v": [self.value(x) for x in v.values()]}
        return self._object(v)

    def _object(self, v: Any) -> Any:
        import pandas as pd

        if isinstance(v, pd.DataFrame):
            return self._frame(v)
        if isinstance(v, pd.Series):
            return {"t": "series", "name": self.value(v.name), "col": self._column(v),
                    "index": self._index(v.index)}
        if isinstance(v, pd.Index):
            return self._index(v)
        name = f"{type(v).__module__}.{type(v).__qualname__}"
        if name == "affine.Affine":
            return {"t": "affine", "v": [float(x) for x in tuple(v)[:6]]}
        if name in ("rasterio.crs.CRS", "pyproj.crs.crs.CRS"):
            return {"t": "crs", "kind": name.split(".")[0], "wkt": v.to_wkt()}
        if type(v).__module__.startswith("shapely"):
            import shapely

            return {"t": "geom", "a": self.array(np.frombuffer(shapely.to_wkb(v), np.uint8))}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return self._dataclass(v)
        msg = f"{name} cannot be cached safely"
        raise Unencodable(msg)

    def _dataclass(self, v: Any) -> dict:
        cls = type(v)
        package = cls.__module__.split(".")[0]
        if package not in ALLOWED_PACKAGES or "<" in cls.__qualname__ or "." in cls.__qualname__:
            msg = f"{cls.__module__}.{cls.__qualname__} is not a library dataclass"
            raise Unencodable(msg)
        fields = {f.name: self.value(getattr(v, f.name)) for f in dataclasses.fields(v)}
        return {"t": "dc", "module": cls.__module__, "name": cls.__qualname__, "f": fields}

    def _column(self, s) -> dict:
        import pandas as pd

        dtype = s.dtype
        if str(dtype) == "geometry":
            return self._geometry(s.array)
        if isinstance(dtype, pd.CategoricalDtype):
            return {"t": "category", "codes": self.array(np.asarray(s.cat.codes)),
                    "categories": self._index(s.cat.categories), "ordered": bool(dtype.ordered)}
        if isinstance(dtype, np.dtype) and dtype.kind in _SAFE_DTYPE_KINDS:
            return {"t": "nd", "a": self.array(s.to_numpy())}
        if str(dtype) not in _SERIES_DTYPES:
            msg = f"a column of dtype {dtype} cannot be cached safely"
            raise Unencodable(msg)
        values = [None if _is_missing(x) else x for x in s.tolist()]
        return {"t": "values", "dtype": str(dtype), "v": [self.value(x) for x in values],
                "na": [bool(_is_missing(x)) for x in s.tolist()]}

    def _geometry(self, values) -> dict:
        import shapely

        geoms = np.asarray(values, dtype=object)
        missing = np.asarray([g is None for g in geoms], dtype=bool)
        wkb = [b"" if g is None else shapely.to_wkb(g) for g in geoms]
        offsets = np.cumsum([0] + [len(b) for b in wkb], dtype=np.int64)
        blob = np.frombuffer(b"".join(wkb), dtype=np.uint8) if offsets[-1] else np.zeros(0, np.uint8)
        return {"t": "geometry", "blob": self.array(blob), "offsets": self.array(offsets),
                "missing": self.array(missing)}

    def _index(self, index) -> dict:
        import pandas as pd

        if isinstance(index, pd.RangeIndex):
            return {"t": "range", "start": int(index.start), "stop": int(index.stop),
                    "step": int(index.step), "name": self.value(index.name)}
        if isinstance(index, pd.MultiIndex):
            msg = "a MultiIndex cannot be cached safely"
            raise Unencodable(msg)
        return {"t": "index", "col": self._column(pd.Series(index)), "name": self.value(index.name)}

    def _frame(self, df) -> dict:
        import geopandas as gpd

        is_geo = isinstance(df, gpd.GeoDataFrame)
        geometry = None
        crs = None
        if is_geo and df._geometry_column_name in df.columns:  # noqa: SLF001 - no public getter that tolerates absence
            geometry = df.geometry.name
            crs = df.crs.to_wkt() if df.crs is not None else None
        return {
            "t": "gdf" if is_geo else "df",
            "columns": [self.value(c) for c in df.columns],
            "data": [self._column(df.iloc[:, i]) for i in range(df.shape[1])],
            "index": self._index(df.index),
            "attrs": self.value(dict(df.attrs)),
            "geometry": geometry,
            "crs": crs,
        }


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(x)) if np.ndim(x) == 0 else False
    except (TypeError, ValueError):
        return False


def dump(value: Any, path: str | Path) -> None:
    """Write ``value`` to ``path`` (an ``.npz`` file) in the safe cache format.

    Raises
    ------
    Unencodable
        When ``value`` holds something the format cannot write.
    """
    writer = _Writer()
    manifest = {"format": FORMAT, "value": writer.value(value)}
    text = json.dumps(manifest, allow_nan=True, separators=(",", ":")).encode()
    arrays = dict(writer.arrays)
    arrays["__manifest__"] = np.frombuffer(text, dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, allow_pickle=False, **arrays)


# ------------------------------------------------------------------------------ reading
class _Reader:
    def __init__(self, npz) -> None:
        self.npz = npz

    def array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or not re.fullmatch(r"a\d+", name) or name not in self.npz:
            msg = f"unknown array {name!r}"
            raise Undecodable(msg)
        return self.npz[name]  # allow_pickle=False: object arrays raise

    def value(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per tag
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or "t" not in node:
            msg = "malformed manifest node"
            raise Undecodable(msg)
        tag = node["t"]
        if tag == "npscalar":
            return self.array(node["a"])[()]
        if tag == "nd":
            return self.array(node["a"])
        if tag in ("list", "tuple"):
            items = [self.value(x) for x in node["v"]]
            return tuple(items) if tag == "tuple" else items
        if tag == "dict":
            return dict(zip((self.value(k) for k in node["k"]),
                            (self.value(v) for v in node["v"]), strict=True))
        return self._object(tag, node)

    def _object(self, tag: str, node: dict) -> Any:
        import pandas as pd

        if tag in ("df", "gdf"):
            return self._frame(node)
        if tag == "series":
            col = self._column(node["col"])
            return pd.Series(col, index=self._index(node["index"]), name=self.value(node["name"]),
                             dtype=_dtype_of(col))
        if tag in ("range", "index"):
            return self._index(node)
        if tag == "affine":
            from affine import Affine

            return Affine(*[float(x) for x in node["v"]])
        if tag == "crs":
            if node["kind"] == "rasterio":
                from rasterio.crs import CRS

                return CRS.from_wkt(str(node["wkt"]))
            from pyproj import CRS as ProjCRS

            return ProjCRS.from_wkt(str(node["wkt"]))
        if tag == "geom":
            import shapely

            return shapely.from_wkb(self.array(node["a"]).tobytes())
        if tag == "dc":
            return self._dataclass(node)
        msg = f"unknown manifest tag {tag!r}"
        raise Undecodable(msg)

    def _dataclass(self, node: dict) -> Any:
        cls = _library_dataclass(node.get("module"), node.get("name"))
        fields = {f.name for f in dataclasses.fields(cls)}
        given = node.get("f")
        if not isinstance(given, dict) or set(given) != fields:
            msg = f"fields of {cls.__qualname__} do not match the cache file"
            raise Undecodable(msg)
        obj = cls.__new__(cls)
        for name, sub in given.items():
            object.__setattr__(obj, name, self.value(sub))  # frozen dataclasses too
        return obj

    def _column(self, node: dict):
        import pandas as pd

        tag = node.get("t")
        if tag == "nd":
            return self.array(node["a"])
        if tag == "geometry":
            import geopandas as gpd
            import shapely

            blob = self.array(node["blob"]).tobytes()
            offsets = self.array(node["offsets"])
            missing = self.array(node["missing"])
            wkb = [None if m else blob[int(a):int(b)]
                   for a, b, m in zip(offsets[:-1], offsets[1:], missing, strict=True)]
            return gpd.array.from_shapely(shapely.from_wkb(np.asarray(wkb, dtype=object)))
        if tag == "category":
            categories = self._index(node["categories"])
            return pd.Categorical.from_codes(self.array(node["codes"]), categories=categories,
                                             ordered=bool(node["ordered"]))
        if tag == "values":
            dtype = node["dtype"]
            if dtype not in _SERIES_DTYPES:
                msg = f"unknown column dtype {dtype!r}"
                raise Undecodable(msg)
            values = [None if na else self.value(v)
                      for v, na in zip(node["v"], node["na"], strict=True)]
            if dtype == "object":
                out = np.empty(len(values), dtype=object)
                out[:] = values
                return out
            return pd.array(values, dtype=dtype)
        msg = f"unknown column tag {tag!r}"
        raise Undecodable(msg)

    def _index(self, node: dict):
        import pandas as pd

        if node.get("t") == "range":
            return pd.RangeIndex(int(node["start"]), int(node["stop"]), int(node["step"]),
                                 name=self.value(node["name"]))
        if node.get("t") == "index":
            col = self._column(node["col"])
            return pd.Index(col, name=self.value(node["name"]), dtype=_dtype_of(col))
        msg = "malformed index"
        raise Undecodable(msg)

    def _frame(self, node: dict):
        import geopandas as gpd
        import pandas as pd

        columns = [self.value(c) for c in node["columns"]]
        data = [self._column(c) for c in node["data"]]
        index = self._index(node["index"])
        df = pd.DataFrame({i: pd.Series(col, index=index, dtype=_dtype_of(col), copy=False)
                           for i, col in enumerate(data)}, index=index)
        df.columns = columns
        if node["t"] == "gdf":
            geometry = node.get("geometry")
            df = gpd.GeoDataFrame(df, geometry=geometry, crs=node.get("crs")) if geometry \
                else gpd.GeoDataFrame(df)
        df.attrs = self.value(node["attrs"])
        return df


def _dtype_of(column) -> Any:
    """``object`` for object arrays (pandas would infer ``str`` from them), else None."""
    return object if isinstance(column, np.ndarray) and column.dtype == object else None


def _library_dataclass(module: Any, name: Any) -> type:
    """The dataclass ``module.name`` if it is one of the library's own; else Undecodable."""
    if not (isinstance(module, str) and isinstance(name, str) and _MODULE_RE.fullmatch(module)
            and _NAME_RE.fullmatch(name) and module.split(".")[0] in ALLOWED_PACKAGES):
        msg = f"{module}.{name} is not a library class"
        raise Undecodable(msg)
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        msg = f"{module}.{name} does not exist"
        raise Undecodable(msg) from exc
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module):
        msg = f"{module}.{name} is not a library dataclass"
        raise Undecodable(msg)
    return cls


def _check_members(path: str | Path) -> None:
    """Only stored (uncompressed) members named as :func:`dump` names them: reading a cache
    file never inflates more bytes than the file holds."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.compress_type != zipfile.ZIP_STORED or not re.fullmatch(
                    r"(a\d+|__manifest__)\.npy", info.filename):
                msg = f"unexpected member {info.filename!r}"
                raise Undecodable(msg)


def load(path: str | Path) -> Any:
    """Read a value written by :func:`dump`.

    Raises
    ------
    Undecodable
        When the file is not a cache file of this format, or names anything outside the rules.
    """
    try:
        _check_members(path)
        with np.load(path, allow_pickle=False) as npz:
            if "__manifest__" not in npz.files:
                msg = "no manifest"
                raise Undecodable(msg)
            raw = npz["__manifest__"]
            if raw.dtype != np.uint8 or raw.size > MAX_MANIFEST_BYTES:
                msg = "malformed manifest"
                raise Undecodable(msg)
            manifest = json.loads(raw.tobytes().decode())
            if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
                msg = "not a cache file of this format"
                raise Undecodable(msg)
            return _Reader(npz).value(manifest["value"])
    except Undecodable:
        raise
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile,
            UnicodeDecodeError, io.UnsupportedOperation) as exc:
        msg = f"cannot read cache file: {exc}"
        raise Undecodable(msg) from exc
