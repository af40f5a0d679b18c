"""A check as a browser makes one, through the test client."""


def check(client, number: str, **extra):
    """Check a number as a browser does: POST, then follow the redirect to the result."""
    response = client.post("/", {"phone": number}, **extra)
    if response.status_code == 302:
        return client.get(response["Location"], **extra)
    return response
