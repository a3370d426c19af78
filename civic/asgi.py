"""The ASGI application for uvicorn workers: settings from the environment."""
from civic.app import create_app

app = create_app()
