"""The web app's routers: the JSON API (analyses, runners) and the server-rendered pages."""
