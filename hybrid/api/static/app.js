// The search page. Everything a search depends on lives in the URL
// (/?q=red+sneakers&colour_family=red&page=2), so a link reproduces a search and the back button
// returns to the previous one: every change pushes a history entry, popstate replays it.
// An uploaded photo cannot travel in a URL: it stays in this tab (sessionStorage) under a short
// key, and the URL carries the key (image=...).
"use strict";

const PAGE_SIZE = 12;
const FACETS = [
  ["colour_family", "Colour"],
  ["category", "Category"],
  ["brand", "Brand"],
];
const LEG_NAMES = { bm25: "BM25", image_knn: "Image kNN", text_knn: "Text kNN" };
const FIELD_NAMES = { colour_family: "colour", category: "category", brand: "brand" };
const IMAGE_PREFIX = "hybrid-image:";
const uploaded = new Map(); // key -> data URL (also in sessionStorage, unless it is full)

const $ = (id) => document.getElementById(id);
let state = readState(location.search);
let sequence = 0; // only the latest search may draw

// --- state <-> URL ---------------------------------------------------------------------------

function readState(search) {
  const params = new URLSearchParams(search);
  const price = (name) => {
    const raw = (params.get(name) || "").trim();
    const value = Number(raw);
    return raw !== "" && Number.isFinite(value) && value >= 0 ? value : null;
  };
  const page = parseInt(params.get("page") || "1", 10);
  const next = {
    q: params.get("q") || "",
    like: params.get("like") || "",
    image: params.get("image") || "",
    price_min: price("price_min"),
    price_max: price("price_max"),
    page: Number.isFinite(page) && page > 0 ? page : 1,
  };
  for (const [field] of FACETS) next[field] = params.getAll(field);
  return next;
}

function toUrl(s) {
  const params = new URLSearchParams();
  if (s.q) params.set("q", s.q);
  if (s.like) params.set("like", s.like);
  if (s.image) params.set("image", s.image);
  for (const [field] of FACETS) for (const value of s[field]) params.append(field, value);
  if (s.price_min !== null) params.set("price_min", String(s.price_min));
  if (s.price_max !== null) params.set("price_max", String(s.price_max));
  if (s.page > 1) params.set("page", String(s.page));
  const query = params.toString();
  return query ? `/?${query}` : "/";
}

function navigate(changes, { resetPage = true } = {}) {
  state = { ...state, ...(resetPage ? { page: 1 } : {}), ...changes };
  history.pushState(null, "", toUrl(state));
  show();
}

window.addEventListener("popstate", () => {
  state = readState(location.search);
  show();
});

// --- uploaded images -------------------------------------------------------------------------

function keepImage(dataUrl) {
  const bytes = new Uint8Array(6);
  crypto.getRandomValues(bytes);
  const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  uploaded.set(key, dataUrl);
  try {
    sessionStorage.setItem(IMAGE_PREFIX + key, dataUrl);
  } catch (_quota) {
    // Too large for sessionStorage: it lives in memory until the tab is reloaded.
  }
  return key;
}

function imageDataUrl(key) {
  return uploaded.get(key) || sessionStorage.getItem(IMAGE_PREFIX + key);
}

function imageData(key) {
  const url = imageDataUrl(key);
  return url ? url.slice(url.indexOf(",") + 1) : null;
}

function readFile(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result)); // data:<type>;base64,<bytes>
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// --- the request -----------------------------------------------------------------------------

function requestBody(s) {
  const body = { size: PAGE_SIZE, page: s.page, explain: true };
  if (s.q.trim()) body.text = s.q.trim();
  if (s.like) body.product_id = s.like;
  if (s.image) body.image = { data: imageData(s.image) };
  const filters = {};
  for (const [field] of FACETS) if (s[field].length) filters[field] = s[field];
  if (s.price_min !== null || s.price_max !== null) {
    filters.price = {};
    if (s.price_min !== null) filters.price.gte = s.price_min;
    if (s.price_max !== null) filters.price.lte = s.price_max;
  }
  if (Object.keys(filters).length) body.filters = filters;
  return body;
}

async function search(s) {
  const response = await fetch("/search", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(requestBody(s)),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const detail = body.detail || response.statusText;
    const hint = response.status === 401
      ? " (this page needs anonymous search: HYBRID_API_ANONYMOUS_SEARCH=true)" : "";
    throw new Error(`${detail}${hint}`);
  }
  return body;
}

// --- drawing ---------------------------------------------------------------------------------

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name in node) node[name] = value;
    else node.setAttribute(name, value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function thumbnailUrl(id) {
  return `/thumbnails/${encodeURIComponent(id)}`;
}

function setText(id, text) {
  const node = $(id);
  node.textContent = text || "";
  node.hidden = !text;
}

function fillForm() {
  $("q").value = state.q;
  $("price-min").value = state.price_min === null ? "" : String(state.price_min);
  $("price-max").value = state.price_max === null ? "" : String(state.price_max);
  const reference = $("reference");
  reference.hidden = !(state.like || state.image);
  if (state.like) {
    $("reference-img").src = thumbnailUrl(state.like);
    $("reference-text").textContent = `More like product ${state.like}`;
  } else if (state.image) {
    $("reference-img").src = imageDataUrl(state.image) || "";
    $("reference-text").textContent = "Like your photo";
  }
  const refining = Boolean(state.like || state.image);
  $("q-label").textContent = refining ? "Refine: like this, but…" : "Search products";
  $("q").placeholder = refining ? "e.g. in blue" : "e.g. maroon sneakers";
}

async function show() {
  fillForm();
  const mine = ++sequence;
  setText("error", "");
  if (!state.q.trim() && !state.like && !state.image) {
    clearResults("Type what you are looking for, or search with a photo.");
    return;
  }
  if (state.image && !imageData(state.image)) {
    clearResults("");
    setText("error", "The photo of this search is not kept in this tab any more; upload it again.");
    return;
  }
  $("results").setAttribute("aria-busy", "true");
  try {
    const response = await search(state);
    if (mine === sequence) drawResponse(response);
  } catch (error) {
    if (mine !== sequence) return;
    clearResults("");
    setText("error", `The search failed: ${error.message}`);
  } finally {
    if (mine === sequence) $("results").setAttribute("aria-busy", "false");
  }
}

function clearResults(status) {
  $("status").textContent = status;
  setText("understanding", "");
  setText("relaxed", "");
  $("hits").replaceChildren();
  $("facets").replaceChildren();
  $("price-buckets").replaceChildren();
  $("pager").hidden = true;
}

function drawResponse(response) {
  const total = response.hits.total.value;
  const hits = response.hits.hits;
  const first = (state.page - 1) * PAGE_SIZE + 1;
  $("status").textContent = total === 0
    ? "No products found."
    : `${total} products · showing ${first} to ${first + hits.length - 1}`;
  setText("understanding", understandingLine(response.understanding));
  setText("relaxed", relaxedNotice(response.understanding));
  drawFacets(response.aggregations || {});
  drawHits(hits, Object.keys(response.fusion.legs));
  drawPager(total);
}

function understandingLine(report) {
  const spans = report.matched_spans || [];
  const unread = report.unread || [];
  const guesses = report.guessed || {};  // words -> category a text model guessed
  const isGuess = ([span]) => span in guesses;
  const named = ([span, facet, value]) => `'${span}' as ${facet} ${value}`;
  const sure = spans.filter((span) => !isGuess(span));
  const guessed = spans.filter(isGuess);
  const parts = [];
  if (spans.length) {
    const required = Object.keys(report.filters_added || {}).length > 0;
    const effect = required ? "only those are shown" : "those rank first";
    if (sure.length) parts.push(`Read ${sure.map(named).join(" and ")}; ${effect}.`);
    if (guessed.length) {
      parts.push(`Guessed by a text model: ${guessed.map(named).join(" and ")}; ${effect}.`);
    }
  }
  const guessedWords = guessed.flatMap(([span]) => span.split(" "));
  const notRead = unread.filter((word) => !guessedWords.includes(word));
  if (notRead.length) {
    const words = notRead.map((word) => `'${word}'`).join(", ");
    parts.push(`Not read as a colour, category or brand: ${words} (still searched as text).`);
  }
  return parts.join(" ");
}

function relaxedNotice(report) {
  const relaxed = report.relaxed || [];
  if (!relaxed.length) return "";
  const what = relaxed.map((field) => {
    const values = (report.filters_added || {})[field] || [];
    return `${FIELD_NAMES[field] || field} ${values.join(" or ")}`.trim();
  });
  const those = relaxed.length > 1 ? "those filters were" : "that filter was";
  const widened = Object.entries(report.widened || {})  // category -> the one above it
    .map(([path, wider]) => ` ${path} was widened to ${wider}, and ${path} comes first.`);
  return `Too few products matched ${what.join(" and ")}, so ${those} relaxed: `
    + `other products are shown too.${widened.join("")}`;
}

function facetOptions(field, facet) {
  const counts = new Map();
  for (const bucket of facet.buckets || []) counts.set(bucket.key, bucket.doc_count);
  for (const bucket of facet.paths || []) {
    if (state[field].includes(bucket.key)) counts.set(bucket.key, bucket.doc_count);
  }
  for (const value of state[field]) if (!counts.has(value)) counts.set(value, 0);
  return [...counts.entries()];
}

function drawFacets(aggregations) {
  const groups = [];
  for (const [field, title] of FACETS) {
    const options = facetOptions(field, aggregations[field] || {});
    if (!options.length) continue;
    const list = el("div", { class: "facet-options" });
    options.forEach(([value, count], i) => {
      const id = `facet-${field}-${i}`;
      const box = el("input", { type: "checkbox", id, value });
      box.checked = state[field].includes(value);
      box.addEventListener("change", () => {
        const values = state[field].filter((v) => v !== value);
        if (box.checked) values.push(value);
        navigate({ [field]: values });
      });
      const label = el("label", { htmlFor: id }, `${value} `, el("span", {
        class: "count", text: `(${count})`,
      }));
      list.append(el("div", { class: "facet-option" }, box, label));
    });
    groups.push(el("fieldset", { class: "facet" }, el("legend", { text: title }), list));
  }
  $("facets").replaceChildren(...groups);
  drawPriceBuckets((aggregations.price || {}).buckets || []);
}

function drawPriceBuckets(buckets) {
  const buttons = buckets.map((bucket) => {
    const [low, high] = bucket.key.split("-");
    const text = low === "*" ? `under ${high}` : high === "*" ? `${low} and up` : `${low}–${high}`;
    const button = el("button", { type: "button", text: `${text} (${bucket.doc_count})` });
    button.addEventListener("click", () => navigate({
      price_min: low === "*" ? null : Number(low),
      price_max: high === "*" ? null : Number(high),
    }));
    return button;
  });
  $("price-buckets").replaceChildren(...buttons);
}

function legBars(hit, legs, scale) {
  const explanation = hit._explanation || { legs: {}, bonus: 0 };
  const rows = [];
  const bar = (cls, weighted, label) => {
    const width = scale > 0 ? Math.min(100, (Math.abs(weighted) / scale) * 100) : 0;
    const negative = weighted < 0 ? " negative" : "";
    rows.push(
      el("dt", { text: label }),
      el("dd", { title: `${label}: ${weighted.toFixed(3)}` },
        el("span", { class: `bar ${cls}${negative}`, style: `width:${width.toFixed(1)}%` })),
      el("span", { class: "value", text: weighted.toFixed(2) }),
    );
  };
  for (const leg of legs) {
    const part = explanation.legs[leg];
    if (part) bar(leg, part.weighted, `${LEG_NAMES[leg] || leg} #${part.rank}`);
    else rows.push(
      el("dt", { text: LEG_NAMES[leg] || leg }),
      el("dd", { title: "not retrieved by this leg" }),
      el("span", { class: "value", text: "–" }),
    );
  }
  if (explanation.bonus) bar("bonus", explanation.bonus, "Understood");
  return el("dl", { class: "legs", "aria-label": "Contribution of each leg" }, ...rows);
}

function drawHits(hits, legs) {
  let scale = 0;
  for (const hit of hits) {
    const explanation = hit._explanation || { legs: {} };
    for (const part of Object.values(explanation.legs)) {
      scale = Math.max(scale, Math.abs(part.weighted));
    }
    scale = Math.max(scale, Math.abs(explanation.bonus || 0));
  }
  const items = hits.map((hit) => {
    const source = hit._source || {};
    const title = source.title || hit._id;
    const more = el("button", { type: "button", class: "more", text: "More like this" });
    more.setAttribute("aria-label", `More like ${title}`);
    more.addEventListener("click", () => {
      navigate({ like: hit._id, image: "", q: "" });
      $("q").focus();
    });
    const colour = source.colour
      ? `${source.colour}${source.colour_family ? ` (${source.colour_family})` : ""}`
      : source.image_colour_family || "";
    const price = typeof source.price === "number" ? source.price.toFixed(2) : "";
    return el("li", { class: "hit", "data-id": hit._id },
      source.images && source.images.length
        ? el("img", { src: thumbnailUrl(hit._id), alt: "", loading: "lazy", width: 240,
          height: 240 })
        : null,
      el("h3", { text: title }),
      el("p", { class: "meta", text: [source.brand, source.category].filter(Boolean).join(" · ") }),
      el("p", { class: "meta" }, colour ? `${colour} · ` : "",
        el("span", { class: "price", text: price })),
      legBars(hit, legs, scale),
      more,
    );
  });
  $("hits").replaceChildren(...items);
}

function drawPager(total) {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  $("pager").hidden = total === 0;
  $("page-info").textContent = `Page ${state.page} of ${pages}`;
  $("prev").disabled = state.page <= 1;
  $("next").disabled = state.page >= pages;
}

// --- wiring ----------------------------------------------------------------------------------

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  navigate({ q: $("q").value.trim() });
});

$("image-file").addEventListener("change", async () => {
  const file = $("image-file").files[0];
  if (!file) return;
  try {
    const key = keepImage(await readFile(file));
    navigate({ image: key, like: "", q: $("q").value.trim() });
  } catch (error) {
    setText("error", `The photo could not be read: ${error.message}`);
  } finally {
    $("image-file").value = "";
  }
});

$("reference-clear").addEventListener("click", () => {
  navigate({ like: "", image: "" });
  $("q").focus();
});

$("price-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const read = (id) => {
    const value = $(id).value.trim();
    return value === "" ? null : Number(value);
  };
  navigate({ price_min: read("price-min"), price_max: read("price-max") });
});

$("price-clear").addEventListener("click", () => navigate({ price_min: null, price_max: null }));
$("prev").addEventListener("click", () => navigate({ page: state.page - 1 }, { resetPage: false }));
$("next").addEventListener("click", () => navigate({ page: state.page + 1 }, { resetPage: false }));

show();
