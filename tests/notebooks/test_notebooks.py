"""Every notebook runs top to bottom without an error, so none of them rots."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, tmp_path: Path) -> None:
    """Executed in a fresh kernel; any failing cell fails the test with its traceback."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    html = [o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {})]
    assert any('<table class="tdm-table"' in h for h in html), "entities are not tables"
    svg = [o["data"]["image/svg+xml"] for o in outputs if "image/svg+xml" in o.get("data", {})]
    if path.name == "explore.ipynb":
        assert svg, "the scenario's entities are not drawn"
        assert all("<rect" in s and "marker-end" in s for s in svg), "boxes and arrows"
    # What a reader of the rendered notebook gets: the tables and the drawings in the page.
    page, _ = HTMLExporter().from_notebook_node(notebook)
    assert page.count('class="tdm-table"') == sum(h.count('class="tdm-table"') for h in html)
    assert page.count("<svg") + page.count("data:image/svg+xml") >= len(svg)
