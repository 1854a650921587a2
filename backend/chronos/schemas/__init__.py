"""Marshmallow schemas, a module per API resource: what comes in (validated), what goes out (dumped).

`common` holds the base input schema (unknown fields refused), pagination and shared field checks;
`auth`, `jobs`, `executions` and `ops` mirror the routes in `api/`.
"""
