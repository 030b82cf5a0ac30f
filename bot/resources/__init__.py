"""The resource library: members share learning resources per topic, find them, rank them, keep links alive.

* :mod:`.urls` one spelling per link (normalisation, duplicates);
* :mod:`.model` the :class:`Resource` value and what its text fields may hold;
* :mod:`.library` share, show, list, vote, save, edit, remove, restore, and who may do what;
* :mod:`.search` full-text search (FTS5, bm25) that any typed text is safe to feed;
* :mod:`.titles` a page's title when none is given; :mod:`.linkcheck` weekly link health;
* :mod:`.transfer` streamed CSV/JSON import and export; :mod:`.starter` the curated starter library.
"""

from bot.resources.library import (
    PER_PAGE,
    Page,
    ResourceDraft,
    Toggled,
    add_policy,
    add_resource,
    broken_resources,
    count_resources,
    draft_resource,
    edit_resource,
    ensure_may_add,
    ensure_may_change,
    find_by_url,
    get_resource,
    list_resources,
    remove_resource,
    restore_resource,
    saved_resources,
    set_add_policy,
    toggle_save,
    toggle_upvote,
    vote,
)
from bot.resources.model import KINDS, LEVELS, DuplicateResource, Resource, ResourceNotFound
from bot.resources.search import search_resources

__all__ = [
    "KINDS", "LEVELS", "PER_PAGE", "DuplicateResource", "Page", "Resource", "ResourceDraft", "ResourceNotFound",
    "Toggled", "add_policy", "add_resource", "broken_resources", "count_resources", "draft_resource",
    "edit_resource", "ensure_may_add", "ensure_may_change", "find_by_url", "get_resource",
    "list_resources", "remove_resource", "restore_resource", "saved_resources", "search_resources",
    "set_add_policy", "toggle_save", "toggle_upvote", "vote",
]
