"""Benchmarks: Stockledger against the best the same machine and database do (`make bench`)."""
