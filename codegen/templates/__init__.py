"""Jinja2 templates of the generated modules (data for cloudforge.codegen.render)."""
