"""engage with one route that fails on purpose, for the error-log test under gunicorn."""

from engage import create_app

app = create_app()


@app.get("/api/v1/boom")
def boom() -> None:
    raise RuntimeError("forced failure for the error-log test")
