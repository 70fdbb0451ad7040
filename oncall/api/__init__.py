"""The REST API (/api/v1/): authentication, access, errors, and the lower layer's resources."""
