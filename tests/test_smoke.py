from payclaims.auth.models import Role
from tests.helpers import sign_in


def test_sign_in_page_renders(client):
    response = client.get("/sign-in")
    assert response.status_code == 200
    assert "Sign in" in response.get_data(as_text=True)


def test_expert_home_renders(client, make_user):
    user = make_user(roles=(Role.EXPERT,))
    sign_in(client, user)
    response = client.get("/expert")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
