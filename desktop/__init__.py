"""Tokenscope: chat with local LLMs and see how they work."""

__version__ = "0.1.0"
APP_NAME = "Tokenscope"
