"""The reference shop tdm creates data in: an Auth Service and a Backend.

`ShopSettings` configures both; `running_shop` serves them in the current event loop,
`ShopThread` on a thread of its own, `serve` until stopped. The apps themselves come from
`tdm_sut.auth.create_app` and `tdm_sut.backend.create_app`.
"""

from tdm_sut._runner import RunningShop, ShopThread, running_shop, serve
from tdm_sut._settings import ShopSettings

__all__ = ["RunningShop", "ShopSettings", "ShopThread", "running_shop", "serve"]
