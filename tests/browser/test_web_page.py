"""The web page of `pipeline up`: upload through the page, watch the thumbnail appear."""

from __future__ import annotations

from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "sample_media"


def test_upload_through_the_page_shows_the_thumbnail(stack, page, client) -> None:
    page.goto(stack.api_url + "/")
    page.set_input_files(
        "#files", [str(SAMPLES / "landscape.webp"), str(SAMPLES / "notes-not-an-image.jpg")]
    )
    # Both uploads show progress rows and finish sending.
    page.wait_for_function(
        "document.querySelectorAll('#uploads li[data-asset-id]').length === 2", timeout=30_000
    )
    ids = page.eval_on_selector_all("#uploads li", "rows => rows.map(r => r.dataset.assetId)")
    good = page.eval_on_selector(
        "#uploads li[data-file='landscape.webp']", "r => r.dataset.assetId"
    )
    card = f".card[data-asset-id='{good}']"
    page.wait_for_selector(f"{card} img.thumb", timeout=60_000)
    page.wait_for_function(
        f'document.querySelector("{card} img.thumb").naturalWidth > 0', timeout=30_000
    )
    natural = page.eval_on_selector(
        f"{card} img.thumb", "img => [img.naturalWidth, img.naturalHeight]"
    )
    assert natural == [256, 256]  # the thumb rendition, fetched from the CDN
    assert page.inner_text(f"{card} .state") == "READY"
    # The text file ends FAILED with its reason shown on its card.
    bad = next(i for i in ids if i != good)
    state = f".card[data-asset-id='{bad}'] .state"
    page.wait_for_function(
        f"(document.querySelector(\"{state}\") || {{}}).textContent === 'FAILED'", timeout=60_000
    )
    assert "not a supported image" in page.inner_text(f".card[data-asset-id='{bad}'] .reason")
    # The asset view lists the renditions with CDN links.
    page.click(card)
    page.wait_for_selector("#detail[open] a")
    links = page.eval_on_selector_all("#detail a", "as => as.map(a => a.href)")
    assert len(links) == len(client.get_asset(good)["renditions"]) and all(
        link.startswith(stack.cdn_url) for link in links
    )


def test_placeholder_is_drawn_before_the_thumbnail(stack, page, client) -> None:
    asset_id = client.upload_file(SAMPLES / "progressive.jpg")["asset_id"]
    client.wait(asset_id, timeout_s=60)
    page.goto(stack.api_url + "/")
    card = f".card[data-asset-id='{asset_id}']"
    page.wait_for_selector(f"{card} canvas.placeholder", timeout=30_000)
    # The decoded BlurHash is a real picture, not a blank canvas.
    distinct = page.eval_on_selector(
        f"{card} canvas.placeholder",
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  const s = new Set();
                  for (let i = 0; i < d.length; i += 4) s.add(d[i] + ',' + d[i+1] + ',' + d[i+2]);
                  return s.size; }""",
    )
    assert distinct > 20
