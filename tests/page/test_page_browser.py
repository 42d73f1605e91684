"""The pharmacist's page in a real browser (headless Chromium), filled by its labels as a person
would: a plain dose, a contraindication, an order above the maximum, a refused input, and each
of them at phone width without sideways scrolling.

Expectations are hand calculations or label figures, written beside each assertion.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def fill_patient(tab: Any, drug: str, **fields: str) -> None:
    """Choose the drug and type the patient as a person does, each field found by its label."""
    tab.get_by_label("Drug", exact=True).select_option(label=drug)
    for label, value in fields.items():
        control = tab.get_by_label(label.replace("_", " "), exact=True)
        if control.evaluate("e => e.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)


def headline(tab: Any) -> Any:
    return tab.get_by_role("alert").filter(has=tab.locator("#headline"))


def no_sideways_scroll(tab: Any) -> tuple[int, int]:
    return tab.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def test_plain_dose(page: Any, shoot: Any) -> None:
    # diltiazem 2 to 4 mg/kg/day (calcinosis case series, Palmieri et al. 1995,
    # doi:10.1001/archderm.1995.01690220068012).
    fill_patient(page, "diltiazem", Weight="176 lb", Age="61 y", Sex="Male")
    page.get_by_role("button", name="Calculate").click()
    alert = headline(page)
    # 176 lb x 0.45359237 = 79.832 kg; x 2 = 159.7, x 4 = 319.3 mg/day;
    # three times daily: 159.66 / 3 = 53.2 and 319.33 / 3 = 106.4 mg each time
    text = alert.inner_text()
    assert re.search(r"\bOK\b", text)
    assert "diltiazem" in text
    assert "CONTRAINDICATED" not in text
    answer = page.locator("#answer").inner_text()
    assert "159.7 mg/day to 319.3 mg/day" in answer
    tid = page.locator(".amounts li", has_text="three times daily").inner_text()
    assert "53.2 mg to 106.4 mg each time" in tid
    assert "79.832 kg" in page.locator("details.calculation").text_content()
    # the typed values are kept in the form
    assert page.get_by_label("Weight", exact=True).input_value() == "176 lb"
    assert page.get_by_label("Age", exact=True).input_value() == "61 y"
    assert re.search(r"Tables edition \d", answer)
    shoot(page, "1-plain-dose")


def test_calculation_is_collapsible(page: Any) -> None:
    fill_patient(page, "minocycline", Weight="60 kg", Age="40 y", Sex="Male")
    page.get_by_role("button", name="Calculate").click()
    details = page.locator("details.calculation")
    assert details.get_attribute("open") is None
    steps = details.locator("li").first
    assert not steps.is_visible()
    details.locator("summary").click()
    assert steps.is_visible()


def test_contraindication(page: Any, shoot: Any) -> None:
    # US diltiazem labels contraindicate sick sinus syndrome without a functioning ventricular
    # pacemaker (Cardizem CD prescribing information, DailyMed).
    fill_patient(page, "diltiazem", Weight="80 kg", Age="70 y", Sex="Female", Pregnant="No")
    page.get_by_label("sick sinus syndrome").check()
    page.get_by_role("button", name="Calculate").click()
    alert = headline(page)
    assert "CONTRAINDICATED - DO NOT GIVE" in alert.inner_text()
    assert "sick sinus" in alert.inner_text().lower()
    # red, and white words on it: contrast well above 4.5:1
    colours = alert.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
    )
    assert colours == ["rgb(164, 22, 26)", "rgb(255, 255, 255)"]
    answer = page.locator("#answer").inner_text()
    assert "NOT a dose to give" in answer
    assert "Sources" in answer
    assert page.get_by_label("sick sinus syndrome").is_checked()
    shoot(page, "2-contraindicated")


def test_order_above_the_maximum(page: Any, shoot: Any) -> None:
    # minocycline: US label adult maximum 200 mg/day; 200 mg twice daily = 400 mg/day > 200
    # the clearance is given: minocycline is contraindicated in complete renal failure
    fill_patient(
        page,
        "minocycline",
        Weight="80 kg",
        Age="60 y",
        Sex="Male",
        Creatinine_clearance="90 mL/min",
    )
    page.get_by_label("Ordered amount").fill("200 mg")
    page.get_by_label("Frequency").fill("twice daily")
    page.get_by_role("button", name="Check order").click()
    alert = headline(page)
    assert "EXCEEDS MAXIMUM - DO NOT GIVE AS WRITTEN" in alert.inner_text()
    assert alert.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(164, 22, 26)"
    answer = page.locator("#answer").inner_text()
    assert "400 mg/day" in answer  # 200 mg x 2
    assert re.search(r"Maximum \(label\)\s*200 mg/day: EXCEEDED", answer)
    assert page.get_by_label("Frequency").input_value() == "twice daily"
    shoot(page, "3-exceeds-maximum")


def test_refused_input_next_to_its_field(page: Any, shoot: Any) -> None:
    fill_patient(page, "diltiazem", Weight="154", Age="54 y", Sex="Female")
    page.get_by_role("button", name="Calculate").click()
    weight = page.get_by_label("Weight", exact=True)
    assert weight.input_value() == "154"  # kept as typed
    assert weight.get_attribute("aria-invalid") == "true"
    # the refusal is in the same field block, and is the input's description
    field = page.locator(".field", has=weight)
    message = field.locator(".error").inner_text()
    assert "bare number" in message and "'154'" in message
    assert message in weight.evaluate(
        "e => e.getAttribute('aria-describedby').split(' ').map("
        "id => document.getElementById(id).innerText).join(' ')"
    )
    assert page.locator(".field .error").count() == 1  # no other field blamed
    assert page.locator("#answer").count() == 0  # nothing calculated
    assert "Traceback" not in page.content()
    assert page.get_by_label("Age", exact=True).input_value() == "54 y"
    shoot(page, "4-refused")


def test_keyboard_only(page: Any) -> None:
    # Tab from the drug select into the fields, type, and Enter submits with "Calculate"
    page.get_by_label("Drug", exact=True).focus()
    page.keyboard.type("minocycline")  # a select takes typed letters
    page.keyboard.press("Tab")
    page.keyboard.type("60 kg")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("40 y")
    page.keyboard.press("Enter")
    # minocycline oral-fixed adult range: 50 to 100 mg once daily (Robertson et al. 2003)
    assert "50 mg/day to 100 mg/day" in page.locator("#answer").inner_text()


@pytest.mark.parametrize(
    ("state", "drug", "fields", "button"),
    [
        ("form", None, {}, None),
        ("plain", "diltiazem", {"Weight": "176 lb", "Age": "61 y", "Sex": "Male"}, "Calculate"),
        (
            "contraindicated",
            "minocycline",
            {"Weight": "70 kg", "Age": "30 y", "Sex": "Female", "Pregnant": "Yes"},
            "Calculate",
        ),
        (
            "order",
            "minocycline",
            {
                "Weight": "80 kg",
                "Age": "60 y",
                "Sex": "Male",
                "Ordered amount": "200 mg",
                "Frequency": "twice daily",
            },
            "Check order",
        ),
        ("refused", "diltiazem", {"Weight": "70 kgs", "Height": "1.7 m", "Age": "54"}, "Calculate"),
    ],
)
def test_phone_width(
    phone: Any,
    shoot: Any,
    state: str,
    drug: str | None,
    fields: dict[str, str],
    button: str | None,
) -> None:
    if drug is not None:
        fill_patient(phone, drug, **fields)
    if button is not None:
        phone.get_by_role("button", name=button).click()
    width, viewport = no_sideways_scroll(phone)
    assert viewport == 375
    assert width <= viewport, f"{state}: the page is {width} px wide at a 375 px viewport"
    shoot(phone, f"5-phone-{state}")


#: The states audited, as a bookmarkable query (the same answer as the form gives).
STATES = {
    "form": "",
    "plain": "?drug=diltiazem&weight=70+kg&age=54+y&sex=male&action=dose",
    "cannot-check": "?drug=alendronate&weight=70+kg&age=54+y&sex=male&action=dose",
    "contraindicated": "?drug=minocycline&weight=70+kg&age=30+y&sex=female&pregnant=yes",
    "exceeds-maximum": "?drug=minocycline&weight=80+kg&age=60+y&sex=male&amount=200+mg"
    "&frequency=twice+daily&action=check",
    "refused": "?drug=diltiazem&weight=70+kgs&height=1.7+m&age=54&action=dose",
}


@pytest.mark.parametrize("state", list(STATES))
def test_accessibility_audit(page: Any, server: str, state: str) -> None:
    """axe-core's WCAG 2.1 A/AA rules (labels, contrast, ARIA, landmarks, headings) find
    nothing, in every state of the page."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:  # pragma: no cover - the test extra has it
        import os

        if os.environ.get("CI"):
            pytest.fail("axe-playwright-python is not installed (it is in the test extra)")
        pytest.skip("axe-playwright-python is not installed (it is in the test extra)")
    page.goto(server + STATES[state])
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": tags}})
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]
    assert found == []


def test_print_stylesheet(page: Any, server: str, shoot: Any) -> None:
    """Printed, the answer stands alone: no form, the headline's words framed in black on
    white, and the folded calculation printed whole."""
    page.goto(server + STATES["contraindicated"])
    page.emulate_media(media="print")
    assert not page.locator("form").is_visible()
    alert = headline(page)
    assert "CONTRAINDICATED - DO NOT GIVE" in alert.inner_text()
    assert alert.evaluate(
        "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
    ) == [
        "rgb(255, 255, 255)",
        "rgb(0, 0, 0)",
    ]
    steps = page.locator("details.calculation li")
    assert steps.count() > 0 and steps.first.is_visible()
    assert "Tables edition" in page.locator("#answer").inner_text()
    shoot(page, "6-print")
