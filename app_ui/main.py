"""The app frame: page config, sidebar, the chosen page, banner and footer."""

from __future__ import annotations

import streamlit as st

from app_ui import layout
from app_ui.i18n import t

__all__ = ["PAGES", "run"]


def _pages() -> dict:
    from app_ui.pages import (
        about,
        commune,
        gaps,
        map_page,
        measurements,
        proposals,
        stations,
        villages,
    )

    return {
        "map": ("page_map", map_page.render),
        "stations": ("page_stations", stations.render),
        "gaps": ("page_gaps", gaps.render),
        "proposals": ("page_proposals", proposals.render),
        "commune": ("page_commune", commune.render),
        "villages": ("page_villages", villages.render),
        "measurements": ("page_measurements", measurements.render),
        "about": ("page_about", about.render),
    }


PAGES = ("map", "stations", "gaps", "proposals", "commune", "villages", "measurements", "about")


def run() -> None:
    """Draw one run of the app."""
    st.set_page_config(
        page_title="Lõm sóng Quảng Trị", page_icon="📶", layout="wide",
        initial_sidebar_state="expanded",
    )
    pages = _pages()
    page = layout.sidebar(pages)
    st.title(t("app_title"))
    layout.banners()
    try:
        pages[page][1]()
    except Exception as exc:  # the app keeps running whatever a page meets
        layout.show_error(exc)
    layout.footer()
