import pytest

from callintel_dagster.privacy import mask_phone_for_digest


@pytest.mark.parametrize(
    "e164,mode,shown",
    [
        ("+919876543210", "masked", "+91 \u2022\u2022\u2022\u2022\u2022 \u20223210"),
        ("+919876543210", "full", "+91 98765 43210"),
        ("+14155550134", "masked", "+1 \u2022\u2022\u2022-\u2022\u2022\u2022-0134"),
        ("+442079460958", "masked", "+44 \u2022\u2022 \u2022\u2022\u2022\u2022 0958"),
    ],
)
def test_country_code_and_last_four_stay(e164, mode, shown):
    assert mask_phone_for_digest(e164, mode) == shown


@pytest.mark.parametrize("bad", ["9876543210", "+91987", "not a number", ""])
def test_anything_but_e164_is_refused_without_echoing_it(bad):
    with pytest.raises(ValueError) as err:
        mask_phone_for_digest(bad, "masked")
    assert "E.164" in str(err.value) and (not bad or bad not in str(err.value))


def test_an_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="'masked' or 'full'"):
        mask_phone_for_digest("+919876543210", "partial")
