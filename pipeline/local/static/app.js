// The page of `pipeline up`: drag-and-drop uploads through presigned POSTs, a live gallery.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="pipeline-token"]').content;
  const token = meta && !meta.startsWith("{{") ? meta : localStorage.getItem("pipeline-token") || "";
  const $ = (sel) => document.querySelector(sel);
  const cards = new Map();  // asset id -> card element
  const TERMINAL = new Set(["READY", "FAILED"]);

  async function api(method, path, body) {
    const response = await fetch(path, {
      method,
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? null : await response.json();
    if (!response.ok) throw new Error((data && (data.detail || data.title)) || response.statusText);
    return data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v; else node.setAttribute(k, v);
    }
    for (const child of children) node.append(child);
    return node;
  }

  // Upload one file: ask the API for a presigned POST, then send the bytes straight to S3.
  function upload(file) {
    const bar = el("progress", { max: "100", value: "0" });
    const status = el("span", { class: "muted" }, "requesting");
    const row = el("li", { "data-file": file.name }, el("span", { class: "name" }, file.name), bar, status);
    $("#uploads").prepend(row);
    return api("POST", "/uploads", { filename: file.name, content_type: file.type || "application/octet-stream", size: file.size })
      .then((grant) => new Promise((resolve, reject) => {
        const form = new FormData();
        for (const [k, v] of Object.entries(grant.fields)) form.append(k, v);
        form.append("file", file);
        const xhr = new XMLHttpRequest();
        xhr.open("POST", grant.url);
        xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = (100 * e.loaded) / e.total; };
        xhr.onload = () => {
          if (xhr.status < 300) { bar.value = 100; status.textContent = "uploaded"; resolve(grant); }
          else reject(new Error("S3 answered " + xhr.status));
        };
        xhr.onerror = () => reject(new Error("network error"));
        status.textContent = "uploading";
        xhr.send(form);
      }))
      .then((grant) => { row.dataset.assetId = grant.asset_id; refresh(); })
      .catch((err) => { status.textContent = err.message; status.className = "reason"; });
  }

  function thumbUrl(asset) {
    const thumbs = asset.renditions.filter((r) => r.name === "thumb");
    const best = thumbs.find((r) => r.format === "webp") || thumbs[0] || asset.renditions[0];
    return best && best.url;
  }

  function render(asset) {
    let card = cards.get(asset.asset_id);
    if (!card) {
      card = el("div", { class: "card", "data-asset-id": asset.asset_id },
        el("div", { class: "frame" }), el("div", { class: "meta" }));
      card.addEventListener("click", () => show(card.dataset.assetId));
      cards.set(asset.asset_id, card);
      $("#gallery").prepend(card);
    }
    if (card.dataset.state === asset.state) return;
    card.dataset.state = asset.state;
    const frame = card.querySelector(".frame");
    const hash = asset.placeholders && asset.placeholders.blurhash;
    if (hash && !frame.querySelector("canvas")) {
      const canvas = el("canvas", { class: "placeholder" });
      try { window.blurhashToCanvas(hash, canvas); frame.append(canvas); } catch (e) { /* no placeholder */ }
    } else if (!hash && asset.placeholders && asset.placeholders.color) {
      frame.style.background = asset.placeholders.color;
    }
    const url = asset.state === "READY" && thumbUrl(asset);
    if (url && !frame.querySelector("img")) {
      const img = el("img", { class: "thumb", alt: asset.file_name || "", loading: "lazy" });
      img.src = url;
      frame.append(img);
    }
    const info = card.querySelector(".meta");
    info.replaceChildren(
      el("div", { class: "name" }, asset.file_name || asset.asset_id),
      el("div", { class: "state " + asset.state }, asset.state),
    );
    if (asset.failure) info.append(el("div", { class: "reason" }, asset.failure.message));
  }

  async function show(id) {
    const asset = await api("GET", "/assets/" + id);
    const links = el("table", {}, el("tr", {}, el("th", {}, "rendition"), el("th", {}, "size"), el("th", {}, "bytes")));
    for (const r of asset.renditions) {
      links.append(el("tr", {},
        el("td", {}, el("a", { href: r.url, target: "_blank" }, r.name + "." + r.format)),
        el("td", {}, r.width + "×" + r.height), el("td", {}, String(r.bytes))));
    }
    $("#detail-body").replaceChildren(
      el("h3", {}, asset.file_name || id),
      el("p", {}, el("span", { class: "state " + asset.state }, asset.state), " · parts: " + JSON.stringify(asset.parts)),
      asset.failure ? el("p", { class: "reason" }, asset.failure.message) : "",
      links,
      el("h4", {}, "Metadata"),
      el("pre", {}, JSON.stringify(asset.metadata, null, 2)),
    );
    $("#detail").showModal();
  }

  let timer = null;
  async function refresh() {
    clearTimeout(timer);
    try {
      const page = await api("GET", "/assets?limit=100");
      page.items.slice().reverse().forEach(render);
      $("#count").textContent = "(" + page.items.length + ")";
      const busy = page.items.some((a) => !TERMINAL.has(a.state));
      timer = setTimeout(refresh, busy ? 700 : 3000);
    } catch (err) {
      $("#count").textContent = "(" + err.message + ")";
      timer = setTimeout(refresh, 3000);
    }
  }

  const drop = $("#drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over");
    [...e.dataTransfer.files].forEach(upload);
  });
  $("#files").addEventListener("change", (e) => { [...e.target.files].forEach(upload); e.target.value = ""; });
  refresh();
})();
