"""Request and response models of the JSON API (pydantic v2), one module per API area.

The same models validate what a request sends, serialise what the API answers and generate the OpenAPI document
(`tracker/views/api/spec.py`), so the document can not drift from the behaviour.
"""
