"""Follow-up: `astre status`, the activity report, the funding statement, indicators and exports."""
