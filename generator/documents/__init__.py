"""Documents: form definitions, the values a document shows, DOCX and PDF rendering, sent copies, safe writes."""
