"""The page over HTTP without a browser: which field a refusal belongs to, what is kept, and
that nothing ever shows a traceback or an error page. Messages are the library's own, so the
assertions name the field and a phrase of the library's message (or a hand calculation)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from calcidose.service import page as page_module
from calcidose.service.page_form import MAX_FIELD_CHARS, read_form
from calcidose.service.page_view import STATUS_WORDS, VERDICT_WORDS, headline, worst_severity

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def client(app: Any) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def errors_of(text: str) -> dict[str, str]:
    """Field name -> the refusal shown next to it (the block holding the input or select)."""
    found = {}
    for match in re.finditer(r'<p class="error" id="e-([a-z-]+)">(.*?)</p>', text, re.S):
        found[match.group(1)] = html.unescape(re.sub(r"<[^>]+>", "", match.group(2)))
    return found


def value_of(text: str, name: str) -> str | None:
    match = re.search(rf'<input id="f-{name}" name="{name}" type="text" value="([^"]*)"', text)
    return html.unescape(match.group(1)) if match else None


def post(client: TestClient, **fields: Any) -> Any:
    return client.post("/", data=fields)


def test_empty_form(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    for label in (
        "Drug",
        "Weight",
        "Height",
        "Age",
        "Sex",
        "Serum creatinine",
        "Creatinine clearance",
        "Pregnant",
        "Lactating",
        "Current medications",
        "Ordered amount",
        "Frequency",
    ):
        assert re.search(rf'<label for="f-[a-z]+">{label}</label>', r.text), label
    assert "<legend>Conditions</legend>" in r.text
    assert ">Calculate</button>" in r.text and ">Check order</button>" in r.text
    assert "<script" not in r.text  # works without JavaScript: there is none
    assert 'id="answer"' not in r.text


def test_each_bad_field_is_refused_by_itself_and_kept(client: TestClient) -> None:
    r = post(
        client,
        drug="colchicine",
        weight="70",
        height="170 cm",
        age="54 yy",
        scr="1.2 mg/dl/min",
        crcl="45 mL/min",
        action="dose",
    )
    assert r.status_code == 422
    errors = errors_of(r.text)
    assert set(errors) == {"weight", "age", "scr"}
    assert "bare number" in errors["weight"]
    assert "'54 yy'" in errors["age"]
    assert value_of(r.text, "weight") == "70"
    assert value_of(r.text, "age") == "54 yy"
    assert value_of(r.text, "crcl") == "45 mL/min"
    assert 'id="answer"' not in r.text
    assert "Traceback" not in r.text


def test_values_that_contradict_each_other_are_refused_at_each(client: TestClient) -> None:
    # 40 kg and 300 cm: BMI = 40 / 3.0^2 = 4.4 kg/m2 is plausible; 200 kg and 100 cm:
    # 200 / 1.0^2 = 200 kg/m2 is too; 250 kg and 90 cm: 250 / 0.81 = 308.6 kg/m2 is not (> 250)
    r = post(client, drug="alendronate", weight="250 kg", height="90 cm", age="50 y", action="dose")
    errors = errors_of(r.text)
    assert set(errors) == {"weight", "height"}
    assert "body mass index" in errors["weight"] and errors["weight"] == errors["height"]
    r = post(client, drug="alendronate", sex="male", lactating="yes", age="50 y", action="dose")
    assert set(errors_of(r.text)) == {"sex", "lactating"}


def test_contradiction_found_beside_a_field_refused_alone(client: TestClient) -> None:
    r = post(
        client, drug="minocycline", weight="70 lbs!", sex="male", pregnant="yes", action="dose"
    )
    assert set(errors_of(r.text)) == {"weight", "sex", "pregnant"}


def test_order_fields(client: TestClient) -> None:
    r = post(
        client,
        drug="diltiazem",
        weight="70 kg",
        age="54 y",
        amount="",
        frequency="qd",
        action="check",
    )
    errors = errors_of(r.text)
    assert set(errors) == {"amount", "frequency"}
    assert "write 'daily'" in errors["frequency"]  # ISMP: qd is error-prone
    r = post(
        client,
        drug="diltiazem",
        weight="70 kg",
        age="54 y",
        amount="90",
        frequency="tid",
        action="check",
    )
    errors = errors_of(r.text)
    assert set(errors) == {"amount"} and "bare number" in errors["amount"]
    assert value_of(r.text, "frequency") == "tid"


def test_the_order_fields_are_not_asked_for_a_dose(client: TestClient) -> None:
    r = post(
        client,
        drug="minocycline",
        weight="70 kg",
        age="54 y",
        sex="male",
        amount="",
        frequency="sometimes",
        action="dose",
    )
    assert r.status_code == 200 and 'id="answer"' in r.text


def test_drug(client: TestClient) -> None:
    assert set(errors_of(post(client, drug="", action="dose").text)) == {"drug"}
    r = post(client, drug="no-such-drug", action="dose")
    assert set(errors_of(r.text)) == {"drug"}


def test_a_too_long_field_is_refused_not_cut(client: TestClient) -> None:
    typed = "7" * (MAX_FIELD_CHARS + 1) + " kg"
    r = post(client, drug="diltiazem", weight=typed, action="dose")
    assert r.status_code == 422
    assert "Nothing was cut" in errors_of(r.text)["weight"]
    assert value_of(r.text, "weight") == typed


def test_a_too_large_body_is_refused_in_words(client: TestClient) -> None:
    r = client.post(
        "/",
        content=b"weight=" + b"1" * (page_module.MAX_BODY_BYTES + 10),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert "nothing was read" in r.text and "<form" in r.text


def test_a_query_gives_the_same_answer_as_the_form(client: TestClient) -> None:
    query = "drug=minocycline&weight=60+kg&age=40+y&sex=male"
    by_get = client.get(f"/?{query}")
    by_post = post(
        client, drug="minocycline", weight="60 kg", age="40 y", sex="male", action="dose"
    )
    strip = re.compile(r"Answered [^.]*\.")
    assert strip.sub("", by_get.text) == strip.sub("", by_post.text)
    # minocycline oral, fixed adult range 50 to 100 mg/day (Robertson et al. 2003)
    assert "50 mg/day to 100 mg/day" in by_get.text


def test_an_unexpected_error_is_a_plain_sentence(client: TestClient, monkeypatch: Any) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(page_module, "check", broken)
    r = post(
        client,
        drug="diltiazem",
        weight="70 kg",
        age="54 y",
        amount="90 mg",
        frequency="tid",
        action="check",
    )
    assert r.status_code == 500
    assert "nothing was calculated" in r.text
    assert "secret internal detail" not in r.text and "Traceback" not in r.text
    assert value_of(r.text, "amount") == "90 mg"  # what was typed is kept


def test_an_unknown_medication_is_checked_not_dropped(client: TestClient) -> None:
    r = post(
        client,
        drug="minocycline",
        weight="60 kg",
        age="40 y",
        sex="male",
        medications="zzq-unknown-pill, aspirin",
        action="dose",
    )
    assert r.status_code == 200
    assert "zzq-unknown-pill" in html.unescape(r.text.split('id="answer"')[1].split("<form")[0])
    assert value_of(r.text, "medications") == "zzq-unknown-pill, aspirin"


def test_the_headline_is_red_for_a_major_finding_whatever_the_status() -> None:
    # an order within range whose findings include a major one: the status leads, in red,
    # and the range verdict is said under it
    words, tone, verdict = headline("major", "within-range", "major")
    assert (words, tone) == (STATUS_WORDS["major"], "danger")
    assert verdict == VERDICT_WORDS["within-range"]
    # a cannot-check answer with a major finding: not verified, and still red with the words
    words, tone, _ = headline("cannot-check", "cannot-check", "major")
    assert tone == "danger" and "BUT A MAJOR FINDING APPLIES" in words
    # above a maximum: the verdict leads (as in the text view)
    assert headline("major", "exceeds-maximum", "major")[:2] == (
        "EXCEEDS MAXIMUM - DO NOT GIVE AS WRITTEN",
        "danger",
    )
    assert headline("ok", None, "info") == ("OK", "ok", None)
    assert headline("caution", "above-range", "moderate")[1] == "warning"
    # a status the page does not know yet is shown as it is, never hidden
    assert headline("new-state", None, None) == ("NEW STATE", "warning", None)
    assert STATUS_WORDS["contraindicated"] == "CONTRAINDICATED - DO NOT GIVE"


def test_major_plan_in_the_page(client: TestClient) -> None:
    # minocycline 200 mg twice daily is above the US label maximum of 200 mg/day: major
    r = post(
        client,
        drug="minocycline",
        weight="80 kg",
        age="60 y",
        sex="male",
        crcl="90 mL/min",  # minocycline needs it: contraindicated in complete renal failure
        amount="200 mg",
        frequency="bid",
        action="check",
    )
    top = r.text.split('id="headline"')[1].split("</div>")[0]
    assert "EXCEEDS MAXIMUM" in top
    assert 'class="headline tone-danger" role="alert"' in r.text


def test_worst_severity() -> None:
    assert worst_severity([]) is None
    assert worst_severity([{"severity": "info"}, {"severity": "major"}]) == "major"
    assert worst_severity([{"severity": "cannot-check"}, {"severity": "contraindicated"}]) == (
        "contraindicated"
    )


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["drug", "weight", "action", "condition", "x"]), st.text(max_size=30)
        ),
        max_size=12,
    )
)
def test_any_form_gives_a_page_never_an_exception(pairs: list[tuple[str, str]]) -> None:
    from calcidose.catalog import get_catalog

    _form, too_long = read_form(pairs)
    assert not too_long
    html_text, code = page_module._respond(get_catalog(), pairs)
    assert code in (200, 422)
    assert "<form" in html_text


def test_a_major_interaction_is_red_even_within_range(client: TestClient) -> None:
    # diltiazem with a beta-blocker (US diltiazem labels: additive AV conduction slowing) at
    # 60 mg tid = 180 mg/day, inside 2 to 4 mg/kg/day x 70 kg = 140 to 280 mg/day
    r = post(
        client,
        drug="diltiazem",
        weight="70 kg",
        age="54 y",
        sex="male",
        medications="metoprolol",
        amount="60 mg",
        frequency="tid",
        action="check",
    )
    top = html.unescape(r.text.split('class="headline')[1].split("</div>")[0])
    assert top.startswith(' tone-danger"')
    assert "MAJOR FINDING" in top
    assert "Range verdict: WITHIN RANGE" in top
    assert "metoprolol" in top  # the finding's own words are in the headline


def test_laboratory_results(client: TestClient) -> None:
    # rituximab: US label boxed warning, screen for hepatitis B (HBsAg and anti-HBc) before
    # starting; unstated, the page says it cannot check; stated negative, the screen is done
    unknown = post(client, drug="rituximab", weight="70 kg", age="50 y", sex="male", action="dose")
    assert "CANNOT CHECK" in unknown.text.split('id="headline"')[1].split("</h1>")[0]
    screened = post(
        client,
        drug="rituximab",
        weight="70 kg",
        age="50 y",
        sex="male",
        **{"lab-hbsag": "negative", "lab-anti-hbc": "negative"},
        action="dose",
    )
    top = screened.text.split('id="headline"')[1].split("</h1>")[0]
    assert "CANNOT CHECK" not in top
    assert re.search(r'<option value="negative" selected>Negative</option>', screened.text)
    refused = post(client, drug="rituximab", **{"lab-tb-screen": "maybe"}, action="dose")
    assert set(errors_of(refused.text)) == {"lab-tb-screen"}
    assert "'maybe'" in errors_of(refused.text)["lab-tb-screen"]


def test_an_overlay_is_named_and_used(tmp_path: Any) -> None:
    from fastapi import FastAPI

    from calcidose.catalog import load_catalog

    (tmp_path / "drugs").mkdir()
    (tmp_path / "drugs" / "diltiazem.toml").write_text(
        'id = "diltiazem"\n[[regimens]]\nid = "oral-weight-based"\n[[regimens.caps]]\n'
        'kind = "policy"\nper = "day"\nmax = { value = 300, unit = "mg/d" }\n'
        'sources = ["calcidose-policy"]\nnote = "institution cap"\n'
    )
    catalog = load_catalog(tmp_path, use_env=False)
    app = FastAPI()
    app.include_router(page_module.make_router(lambda: catalog))
    r = TestClient(app).post(
        "/",
        data={
            "drug": "diltiazem",
            "weight": "100 kg",
            "age": "54 y",
            "sex": "male",
            "action": "dose",
        },
    )
    answer = html.unescape(re.sub(r"<[^>]+>", "", r.text.split('id="answer"')[1].split("<form")[0]))
    assert f"overlays: {tmp_path}" in answer
    # 4 mg/kg/day x 100 kg = 400 mg/day, capped at the overlay's 300 mg/day
    assert "200 mg/day to 300 mg/day (capped at 300 mg/day)" in answer


def test_the_page_needs_no_token_where_the_hooks_do(client: TestClient) -> None:
    # calcidose serve's default settings: authentication on, no trusted issuer
    assert client.get("/").status_code == 200
    hook = client.post("/cds-services/calcidose-order-select", json={})
    assert hook.status_code == 401
    discovery = client.get("/cds-services").json()
    assert discovery["services"]
