"""The ``tdm`` section a failed test's report gets: what it created, and how to build it again."""

from __future__ import annotations

from ._calls import Calls
from ._session import Session

__all__ = ["client_section", "session_section"]


def session_section(session: Session, replay: str) -> str:
    """A ``tdm_session``'s data: its seed, run and replay line, then each entity it created."""
    lines = [
        f"seed {session.seed}, run {session.run_id}; the same data again: {replay} "
        f"(or tdm.session(seed={session.seed}))",
    ]
    for c in session.created:
        scenario = f" [{c.scenario}]" if c.scenario else ""
        label = f" {c.label}" if c.label else ""
        lines.append(f"  {c.kind} {c.entity_id}{label}{scenario}  tracking {c.tracking_id}")
    if not session.created:
        lines.append("  (no entities created)")
    return "\n".join(lines)


def client_section(client: Calls) -> str:
    """A client fixture's data: its run and server, then each call that created something."""
    lines = [f"run {client.run_id} at {client.base_url}"]
    for entry in client.get_created_entities():
        what = entry.get("scenario") or entry["operation"]
        lines.append(f"  {what}: tracking {', '.join(entry['trackingIds'])}")
    return "\n".join(lines)
