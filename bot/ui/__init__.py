"""Discord-side helpers shared by the cogs: safe text, permission checks, persistent items."""
