"""Reusable widgets: the virtual runs table, the filter bar, the status bar and the
footer, the vim-keyed DataTable, the artifact tree and preview pane. They receive
data; they never ask the store."""
