"""Text-to-speech."""
