"""The demo network that ``make run`` loads: 13 institutions, staff and assessments."""
