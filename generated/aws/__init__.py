"""Generated resource classes, one subpackage per AWS service. Never edited by hand."""
