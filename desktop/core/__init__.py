"""Headless core of Tokenscope. Never imports Qt."""
