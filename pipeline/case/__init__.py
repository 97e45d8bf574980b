"""The case over time: working days, due dates and UK local time."""
