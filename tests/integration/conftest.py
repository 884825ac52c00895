"""Integration-test ordering."""


def pytest_collection_modifyitems(items):
    """The API fuzz test runs last: it changes whatever records it guesses ids of (the
    session's seeded vendors too), which the other tests rely on."""
    items.sort(key=lambda item: item.module.__name__.endswith("test_api_fuzz"))
