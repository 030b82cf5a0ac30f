"""Discord adapters, one extension per feature. Modules starting with ``_`` are helpers."""
