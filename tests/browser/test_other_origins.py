"""Another web site open in the same browser cannot read the page's development token, call
the API, or read the embedded AWS; the page of the stack itself can."""

from __future__ import annotations

from tests.browser.conftest import other_site

PROBE = """<!doctype html><meta charset="utf-8"><title>elsewhere</title>
<script>
  const attempt = (url, init) =>
    fetch(url, init).then((r) => r.text()).then((t) => "read " + t.length, () => "blocked");
  Promise.all([
    attempt("API_URL/"),
    attempt("API_URL/assets", { headers: { authorization: "Bearer x" } }),
    attempt("AWS_URL/"),
    attempt("AWS_URL/moto-api/data.json"),
    attempt("AWS_URL/moto-api/reset", { method: "POST", mode: "no-cors" }).then(() => "sent"),
  ]).then((results) => { window.result = results; });
</script>"""


def test_another_site_reads_nothing_of_the_stack(stack, page, client) -> None:
    before = client.list_assets()
    probe = PROBE.replace("API_URL", stack.api_url).replace("AWS_URL", stack.endpoint_url)
    with other_site({"/probe.html": (probe.encode(), "text/html")}) as origin:
        page.goto(f"{origin}/probe.html")
        page.wait_for_function("window.result !== undefined", timeout=30_000)
        result = page.evaluate("window.result")
    assert result[:4] == ["blocked"] * 4, result
    # The reset was sent blind (no-cors): it must have been refused, not executed.
    assert client.list_assets() == before


def test_the_page_itself_holds_a_token_and_calls_the_api(stack, page) -> None:
    page.goto(stack.api_url + "/")
    token = page.eval_on_selector('meta[name="pipeline-token"]', "m => m.content")
    assert token.count(".") == 2  # a JWT
    status = page.evaluate(
        "t => fetch('/assets', {headers: {authorization: 'Bearer ' + t}}).then(r => r.status)",
        token,
    )
    assert status == 200
