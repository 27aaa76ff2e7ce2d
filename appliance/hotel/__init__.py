"""The hotel's own data: its facts (hotel.toml) and its rooms and reservations."""
