"""Requests that follow an SOP definition: the catalogue of definitions, the service that
moves a request through its steps, its letters and read models."""
