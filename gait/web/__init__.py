"""The web app behind ``gait serve``: ``gait.web.app.create_app(settings)``.

Nothing is imported here, so that ``gait.web.cli`` (registered in the main CLI) imports without
FastAPI and can say what to install.
"""
