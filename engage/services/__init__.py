"""Business rules as typed functions: they query and change models, flush, raise ApiError, never commit."""
