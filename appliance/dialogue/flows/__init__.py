"""The business flows, one module each: booking, reservations (look up, change, cancel),
callbacks, handoff to people, and the hotel's facts. Each takes a ``Turn`` and answers with a
``Step``; each route returns None when the turn is not its business."""
