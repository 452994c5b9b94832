"""The merchant's pages, one module per area."""
