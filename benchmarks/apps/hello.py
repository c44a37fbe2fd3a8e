"""The ``http`` suite's baseline: FastAPI's hello world on the same uvicorn setup."""

from __future__ import annotations

from fastapi import FastAPI

__all__ = ["app"]

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"hello": "world"}
