"""Tool annotations, set truthfully (they are hints for clients; safety is enforced in code).

Creating changes the system under test but destroys nothing, and a second call creates more.
Listing and inspecting change nothing. Cleanup destroys, and repeating it changes nothing more.
Everything but the ledger's own listings reaches into the system under test (open world).
"""

from __future__ import annotations

from mcp.types import ToolAnnotations

__all__ = ["CLEANING", "CREATED_HINT", "CREATING", "INSPECTING", "PROBING"]

CREATING = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True
)
INSPECTING = ToolAnnotations(read_only_hint=True, open_world_hint=False)
PROBING = ToolAnnotations(read_only_hint=True, open_world_hint=True)
CLEANING = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=True
)

CREATED_HINT = (
    "The data is kept after this MCP session ends. Use the ids, emails and passwords above; "
    "call cleanup_my_data when it is no longer needed (or cleanup_by_tracking_ids with these "
    "trackingIds); list_created shows everything this session made."
)
