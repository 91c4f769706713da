"""The Streamlit app: `streamlit_app.py` is the page (run by `optcopilot app`), `logic.py` the plain,
tested functions behind it (no Streamlit there). Both ship in the installed package."""

from __future__ import annotations

from pathlib import Path

APP_SCRIPT = Path(__file__).resolve().parent / "streamlit_app.py"
"""The script `streamlit run` serves."""
