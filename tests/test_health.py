def test_healthz_answers_without_the_database(client, app):
    from extensions import db

    db.engine.dispose()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_checks_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200


def test_login_with_the_right_password_redirects(client, make_user, login):
    user = make_user()
    response = login(user)
    assert response.headers["Location"] == "/"
