"""Datasette permission plugin for ``interviews serve``: deny by default.

The metadata built by :mod:`pipeline.serve` denies every table it saw at start-up; this plugin
also refuses any table that is not on the analyst list (one created by a later migration, or a
name spelt in another case), custom SQL, database downloads and other databases, and, when a
password is configured, everything to anonymous visitors. It only ever denies (returns False) or
leaves the decision to Datasette (None), so it can never widen access.
"""

from __future__ import annotations

from datasette import hookimpl

from .serve import GUARD

VIEW_ACTIONS = {"view-instance", "view-database", "view-table", "view-query"}


@hookimpl
def permission_allowed(datasette, actor, action, resource):
    policy = datasette.plugin_config(GUARD)
    if not policy:
        return None
    if action in ("execute-sql", "view-database-download"):
        return False
    if action in VIEW_ACTIONS and policy["login_required"] and not (actor and actor.get("id")):
        return False
    if action == "view-database" and resource != policy["database"]:
        return False
    if action in ("view-table", "view-query") and resource[0] != policy["database"]:
        return False
    if action == "view-table":
        allowed = {t.lower() for t in policy["tables"]}
        if resource[1].lower() not in allowed:
            return False
    return None
