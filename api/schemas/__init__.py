"""API shapes, one module per subject (never the store's tables), e.g.
`from api.schemas.requests import RequestIn`."""
