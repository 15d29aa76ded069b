"""`astre build`: which documents are out of date, the definitions in force, building them."""
