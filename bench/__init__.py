"""Benchmarks of the credit ledger: run `python -m bench.ledger`."""
