"""Example cases of the toolkit, shipped in the wheel for « astre init --exemple » (not a case)."""
