"""`astre watch`: file events turned into changes, and the rebuilds they call for."""
