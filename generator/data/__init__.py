"""Data shipped with astre: barèmes and the runtime lock file."""
