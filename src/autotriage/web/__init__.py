"""The web edge: the FastAPI app, its routes and the error table."""
