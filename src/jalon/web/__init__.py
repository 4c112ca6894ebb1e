"""Jalon's web application (Django): storage, users, pages and the JSON API over the engine.

Dependencies point one way: this package imports the engine, never the reverse.
"""
