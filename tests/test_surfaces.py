"""SKAIDRA_SURFACE decides which audiences an instance serves."""

from tests.helpers import seed


def client_for(make_app, surface: str):
    """A client of an app that serves one surface, with the demo network loaded."""
    app = make_app(SKAIDRA_SURFACE=surface)
    seed(app)
    return app.test_client()


def test_public_surface_serves_no_staff_pages(make_app):
    client = client_for(make_app, "public")
    assert client.get("/").status_code == 200
    assert client.get("/staff/login").status_code == 404
    assert client.get("/healthz").status_code == 200


def test_staff_surface_serves_no_reporting_pages(make_app):
    client = client_for(make_app, "staff")
    assert client.get("/i/birzai/").status_code == 404
    home = client.get("/")
    assert home.status_code == 302
    assert home.headers["Location"].endswith("/staff/login")
    assert client.get("/staff/login").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_staff_surface_error_pages_link_to_staff_sign_in(make_app):
    client = client_for(make_app, "staff")
    page = client.get("/nowhere").get_data(as_text=True)
    assert 'href="/staff/login"' in page


def test_all_surface_serves_both(make_app):
    client = client_for(make_app, "all")
    assert client.get("/").status_code == 200
    assert client.get("/staff/login").status_code == 200
