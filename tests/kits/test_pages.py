"""Stock pages: what they say in both languages, what forms save, and forms kept with errors beside fields."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from kits import stock
from kits.models import Hub, Movement, MovementKind

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


@pytest.fixture
def signed_in(client, login, coordinator):
    login(coordinator)
    return client


def page(client, path, headers=EN):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def squeeze(html: str) -> str:
    """The page's text with tags dropped and spaces squeezed, to read it as a person would."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_stock_page_shows_each_hub_and_kit_type_and_marks_low_ones_in_words(
    signed_in, db_session, now, kit, main_hub, other_hub, make_kit_type, stocked
):
    make_kit_type(name="Balloon kit", low_stock_threshold=0)
    stocked(9)
    html = page(signed_in, "/kits/stock")
    assert html.count("<h1>") == 1
    text_ = squeeze(html)
    assert "Water rocket kit Warn below 5 9 0 9" in text_
    assert "Balloon kit Warn below 0 0 0 0" in text_
    # at the other hub the rocket kit is below its threshold of 5: said in words, not only in colour
    assert text_.count("Water rocket kit Low Warn below 5 0 0 0") == 1
    assert main_hub.name in text_ and other_hub.name in text_
    chinese = squeeze(page(signed_in, "/kits/stock", ZH))
    assert "套件库存" in chinese and "Water rocket kit 不足 提醒线 5 0 0 0" in chinese and "在库" in chinese


def test_recording_a_write_off_saves_it_and_shows_the_new_stock(signed_in, db_session, kit, main_hub, stocked):
    stocked(6)
    response = signed_in.post(
        "/kits/movements/new",
        data={"kind": "written_off", "kit_type_id": kit.id, "hub_id": main_hub.id, "quantity": 2, "reason": "Wet"},
        headers=EN,
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/kits/stock")
    made = db_session.scalar(select(Movement).order_by(Movement.id.desc()))
    assert (made.kind, made.quantity, made.reason) == (MovementKind.WRITTEN_OFF, 2, "Wet")
    assert "Water rocket kit Low Warn below 5 4 0 4" in squeeze(page(signed_in, "/kits/stock"))


def test_receiving_with_a_value_in_yuan_stores_fen(signed_in, db_session, kit, main_hub):
    data = {"kind": "received", "kit_type_id": kit.id, "hub_id": main_hub.id, "quantity": 3, "party": "Donor"}
    response = signed_in.post("/kits/movements/new", data={**data, "value": "120.50"}, headers=EN)
    assert response.status_code == 302
    made = db_session.scalar(select(Movement))
    assert (made.value_fen, made.party) == (12050, "Donor")


def test_a_transfer_from_the_form_is_two_movements(signed_in, db_session, kit, main_hub, other_hub, stocked):
    stocked(5)
    data = {"kind": "transferred", "kit_type_id": kit.id, "hub_id": main_hub.id, "quantity": 2}
    assert signed_in.post("/kits/movements/new", data={**data, "to_hub_id": other_hub.id}).status_code == 302
    kinds = db_session.scalars(select(Movement.kind).order_by(Movement.id)).all()
    assert kinds == [MovementKind.RECEIVED, MovementKind.TRANSFERRED_OUT, MovementKind.TRANSFERRED_IN]


def test_a_stock_take_from_the_form_records_the_difference(signed_in, db_session, kit, main_hub, stocked):
    stocked(5)
    data = {"kind": "adjusted", "kit_type_id": kit.id, "hub_id": main_hub.id, "counted": 3, "reason": "Count"}
    assert signed_in.post("/kits/movements/new", data=data).status_code == 302
    assert db_session.scalar(select(Movement.on_hand_delta).where(Movement.id == 2)) == -2


def test_a_write_off_without_a_reason_is_shown_again_with_the_error_beside_it_and_the_input_kept(
    signed_in, db_session, kit, main_hub, stocked
):
    stocked(6)
    data = {"kind": "written_off", "kit_type_id": kit.id, "hub_id": main_hub.id, "quantity": 4, "reason": ""}
    response = signed_in.post("/kits/movements/new", data=data, headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="reason-error">\s*Say why: what happened to these kits\?', html)
    assert re.search(r'<input[^>]*checked[^>]*value="written_off"', html)
    assert re.search(r'name="quantity"[^>]*value="4"', html)
    assert db_session.scalar(select(func.count()).select_from(Movement)) == 1
    chinese = signed_in.post("/kits/movements/new", data=data, headers=ZH).get_data(as_text=True)
    assert "请说明原因：这些套件怎么了？" in chinese


def test_writing_off_more_than_there_is_says_so_beside_the_number(signed_in, db_session, kit, main_hub, stocked):
    stocked(1)
    data = {"kind": "written_off", "kit_type_id": kit.id, "hub_id": main_hub.id, "quantity": 2, "reason": "Lost"}
    response = signed_in.post("/kits/movements/new", data=data, headers=EN)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="quantity-error">\s*There are not enough kits available for that\.', html)
    assert re.search(r'name="reason"[^>]*>\s*Lost', html) or ">Lost</textarea>" in html
    chinese = signed_in.post("/kits/movements/new", data=data, headers=ZH).get_data(as_text=True)
    assert "可用套件数量不足。" in chinese


def test_fields_the_kind_needs_are_asked_for(signed_in, kit, main_hub):
    for kind, field in (("received", "party"), ("transferred", "to_hub_id"), ("adjusted", "counted")):
        data = {"kind": kind, "kit_type_id": kit.id, "hub_id": main_hub.id, "quantity": 1}
        html = signed_in.post("/kits/movements/new", data=data, headers=EN).get_data(as_text=True)
        assert re.search(rf'id="{field}-error">\s*Fill this in for this kind of movement\.', html), kind


def test_the_form_preselects_a_kind_from_the_link(signed_in, kit, main_hub):
    html = page(signed_in, "/kits/movements/new?kind=adjusted")
    assert re.search(r'<input[^>]*checked[^>]*value="adjusted"', html)


def test_hubs_are_listed_and_added(signed_in, db_session, main_hub):
    assert main_hub.name in page(signed_in, "/kits/hubs")
    response = signed_in.post("/kits/hubs/new", data={"name": "Anning", "address": "Anning, Yunnan"})
    assert response.status_code == 302
    assert db_session.scalar(select(Hub.address).where(Hub.name == "Anning")) == "Anning, Yunnan"
    again = signed_in.post("/kits/hubs/new", data={"name": "Anning"}, headers=EN)
    assert again.status_code == 422
    assert re.search(r'id="name-error">\s*This name is already in use\.', again.get_data(as_text=True))
    assert "添加仓库" in page(signed_in, "/kits/hubs/new", ZH)


def test_the_ledger_lists_movements_newest_first_with_their_hashes(signed_in, db_session, now, kit, stocked):
    first = stocked(3, party="Star Tech Foundation")
    second = stocked(2, party="Green Energy")
    html = page(signed_in, "/kits/ledger")
    assert html.index("No. 2: Received") < html.index("No. 1: Received")
    assert first.hash in html and second.hash in html and "Star Tech Foundation" in html
    assert "第 2 条：入库" in page(signed_in, "/kits/ledger", ZH)


def test_the_ledger_is_paged(app, signed_in, db_session, kit, stocked):
    for _ in range(app.config["PAGE_SIZE"] + 1):
        stocked(1)
    first = page(signed_in, "/kits/ledger")
    assert f"No. {app.config['PAGE_SIZE'] + 1}: Received" in first and "No. 1: Received" not in first
    assert "No. 1: Received" in page(signed_in, "/kits/ledger?page=2")


def _checked(client, headers=EN) -> str:
    """The verify page's answer to its button: the whole ledger checked now."""
    response = client.post("/kits/ledger/verify", headers=headers)
    assert response.status_code == 200, response.status_code
    return squeeze(response.get_data(as_text=True))


def test_checking_the_ledger_shows_the_result_and_the_head_hash_in_both_languages(signed_in, db_session, stocked):
    stocked(2)
    last = stocked(1)
    html = _checked(signed_in)
    assert "The ledger verifies." in html and last.hash in html
    assert "台账核验通过。" in _checked(signed_in, ZH)
    db_session.execute(text("DELETE FROM movement_lot WHERE movement_id = 2 OR source_id = 2"))
    db_session.execute(text("DELETE FROM donation_trail WHERE movement_id = 2"))
    db_session.execute(text("DELETE FROM movement WHERE id = 2"))
    db_session.commit()
    html = _checked(signed_in)
    assert "The ledger does not verify." in html
    assert "The first movement that no longer matches is No. 2." in html  # the last one, deleted
    assert "movements were deleted or added at the end" in html
    assert "第一条不再相符的记录是第 2 条" in _checked(signed_in, ZH)


def test_the_verify_page_shows_the_last_check_and_checks_only_when_asked(signed_in, db_session, stocked, clock):
    from kits.ledger import head_state

    stocked(2)
    html = squeeze(page(signed_in, "/kits/ledger/verify"))
    assert "The ledger has not been checked yet." in html
    assert "Check the whole ledger now" in html
    assert head_state(db_session).verified_at is None  # looking is not checking: a GET writes nothing

    _checked(signed_in)
    db_session.expire_all()
    assert head_state(db_session).verified_at == clock.now
    html = squeeze(page(signed_in, "/kits/ledger/verify"))
    assert "all 1 movement matched" in html and "Check the whole ledger now" in html
    assert "全部 1 条变动均吻合" in squeeze(page(signed_in, "/kits/ledger/verify", ZH))


def test_the_stock_pages_are_linked_from_the_menu(signed_in, main_hub):
    html = page(signed_in, "/kits/types")
    for path in ("/kits/stock", "/kits/movements/new", "/kits/ledger", "/kits/ledger/verify", "/kits/hubs"):
        assert f'href="{path}"' in html, path


def test_the_default_hub_is_made_when_a_movement_needs_it(db_session, now, kit, coordinator):
    stock.receive(db_session, kit_type_id=kit.id, quantity=1, party="X", actor=coordinator, now=now)
    assert db_session.scalar(select(Hub.name)) == stock.DEFAULT_HUB_NAME


@pytest.mark.parametrize("path", ["/kits/stock", "/kits/ledger", "/api/v1/stock"])
def test_statements_per_page_do_not_grow_with_the_ledger_hubs_or_kit_types(
    path, signed_in, db_session, now, kit, main_hub, make_kit_type, stocked, count_statements
):
    stocked(2)
    few = count_statements(signed_in, path)
    for n in range(3):
        hub = stock.create_hub(db_session, {"name": f"Hub {n}"}, now=now)
        make_kit_type(name=f"More kit {n}")
        for _ in range(4):
            stocked(1, hub=hub)
    many = count_statements(signed_in, path)
    assert many == few, f"{path}: {few} statements with 1 movement, {many} with 13"
