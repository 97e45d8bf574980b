"""Rendering Word letters from docxtpl templates: limits on what a template may cost."""
