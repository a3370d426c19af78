"""The ASGI application for uvicorn workers: settings from the environment."""
import gc

from civic.app import create_app
from civic.templating import compile_all

app = create_app()
compile_all(app.state.templates)  # before the first request, not in it

# A signed-in page allocates tens of thousands of short-lived objects: at Python's default thresholds (700, 10,
# 10) the young generation was collected more than once every two pages, and a full collection of a warm
# worker's heap (≈ 35 ms) landed in the slowest requests. Ten times fewer young collections: p99 under 32
# connections 38–84 → 23–45 ms on the signed-in pages (bench/README.md). Cyclic garbage waits a little longer.
gc.set_threshold(10_000, 50, 50)
