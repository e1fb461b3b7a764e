import lakeworks


def test_public_surface_is_pinned() -> None:
    assert sorted(lakeworks.__all__) == sorted(
        ["Context", "LakeworksError", "Platform", "Settings", "Workspace", "__version__", "connect"]
    )
    for name in lakeworks.__all__:
        assert hasattr(lakeworks, name)
