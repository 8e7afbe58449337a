"""Business rules as typed functions: they query and change models, flush, raise ApiError,
and never commit."""
