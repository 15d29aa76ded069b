"""`astre check`: a case's problems, and what was sent against what the files say now."""
