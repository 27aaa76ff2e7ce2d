"""The conversation: understanding the caller, deciding the reply, and the turn loop."""
