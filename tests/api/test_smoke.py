def test_unknown_route_is_404_in_the_one_error_shape(client):
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    body = response.get_json()
    assert body["code"] == 404 and body["status"] == "Not Found" and body["message"]
