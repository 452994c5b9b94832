"""Stockledger: inventory management around an append-only Inventory Log."""
