"""lomsong.analysis — coverage gaps, clustering, ranking, site proposals and reports.

Builds on :mod:`geo`; never imports streamlit.
"""
