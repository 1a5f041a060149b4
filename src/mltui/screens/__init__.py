"""The screens: one module per screen (or dialog). A screen draws, handles keys and
starts workers; what it shows comes from mltui.views and the store contract."""
