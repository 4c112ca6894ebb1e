"""Jalon."""
