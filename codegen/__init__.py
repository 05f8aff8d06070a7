"""cloudforge.codegen: registry schema -> typed models and resource classes under generated/."""
