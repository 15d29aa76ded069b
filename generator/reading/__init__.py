"""Reading: safe YAML, schemas and their French messages, case folders, shipped or overridden files, astre.yaml."""
