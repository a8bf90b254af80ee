"""Local web app over the store: server-rendered pages, a JSON API under ``/api`` and inline SVG charts."""

from storyline.web.app import create_app, serve

__all__ = ["create_app", "serve"]
