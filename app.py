"""Lõm sóng Quảng Trị — the Streamlit app.

Run with ``streamlit run app.py``. Everything the app shows comes from the ``geo`` and
``analysis`` libraries; the ``app_ui`` package only lays it out.
Environment: ``LOMSONG_WORKSPACE`` (saved station sets, default ``./workspace/lomsong.gpkg``),
``LOMSONG_APP_RESOLUTION`` (default grid in metres, 500).
"""

from app_ui.main import run

run()
