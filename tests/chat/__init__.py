"""The chat layer every platform shares, driven through an in-memory surface."""
