"""Adapter tests: real SDKs and frameworks against local fake servers."""
