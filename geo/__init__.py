"""lomsong.geo — data loading, analysis grids, terrain and radio propagation.

Pure functions over arrays and GeoDataFrames; I/O only in the loaders. Never imports
``analysis`` or streamlit.
"""

__version__ = "0.1.0"
