"""Channels: each translates its wire format to audio frames and back, nothing more."""
