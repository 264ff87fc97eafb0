"""The API's reference page: public, like the OpenAPI document it renders."""

POLICY = {
    "api.docs.reference": "public",
}
