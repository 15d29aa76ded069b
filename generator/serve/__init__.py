"""`astre serve`: the référent's workspace in the browser, on the same YAML files."""
