// The run graph as SVG: boxes and edges from the server's layout, zoom and pan, keyboard.
//
// Only what lies in and around the viewport is in the DOM (a 5,000-node run would otherwise cost
// 25,000 elements to parse, style and paint): nodes are drawn when the view reaches them, all
// visible edges are one path and their arrowheads another. Zoomed far out, a node is a bare box.

import { phaseInfo } from "./util.js";

const SVGNS = "http://www.w3.org/2000/svg";
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const ABBR = { Succeeded: "✓", Failed: "✗", Error: "!", Running: "running", Pending: "pending", Skipped: "skipped", Omitted: "omitted" };
// Below this scale labels are too small to read: nodes are drawn as boxes only.
const LOW_DETAIL = 0.3;
// The drawn region reaches this many viewports beyond each side, so short pans need no redraw.
const MARGIN = 0.5;
// A hover title per node helps when few are drawn; on thousands it is mostly parse time.
const TITLES_UP_TO = 1000;
const ARROW_LEN = 8, ARROW_HALF = 4;

export function foldCounts(fold) {
  const order = ["Succeeded", "Failed", "Error", "Running", "Pending", "Skipped", "Omitted"];
  return order.filter((p) => fold.phases[p]).map((p) => `${fold.phases[p].toLocaleString("en-US")} ${ABBR[p]}`).join(" ");
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

const r1 = (v) => Math.round(v * 10) / 10;

function nodeSvg(n, selected, detail, titled) {
  const p = phaseInfo(n.phase);
  const x = n.x - n.w / 2, y = n.y - n.h / 2;
  const cls = `node ${p.cls} t-${n.type.toLowerCase()}${n.fold ? " fold" : ""}${n.id === selected ? " selected" : ""}`;
  const label = n.fold ? `${n.label}: ${foldCounts(n.fold)}` : `${n.label} (${n.type})`;
  const round = n.type === "Pod" || n.type === "Container" ? 6 : n.fold ? 10 : n.h / 2;
  let body = `<rect x="${x}" y="${y}" width="${n.w}" height="${n.h}" rx="${round}"/>`;
  if (detail) {
    body += `<text class="icon" x="${x + 14}" y="${n.y + 5}" aria-hidden="true">${esc(p.icon)}</text>` +
      `<text class="lbl" x="${x + 30}" y="${n.fold ? n.y - 6 : n.y + 5}">${esc(clip(n.label, n.fold ? 26 : 20))}</text>`;
    if (n.fold) {
      body += `<text class="counts" x="${x + 30}" y="${n.y + 14}">${esc(clip(foldCounts(n.fold), 30))}</text>` +
        `<text class="unfold" x="${x + n.w - 12}" y="${n.y + 5}" text-anchor="end" aria-hidden="true">⊕</text>`;
    }
  }
  return `<g class="${cls}" data-id="${esc(n.id)}" tabindex="0" role="button" aria-label="${esc(label)}, ${esc(n.phase)}">` +
    (titled ? `<title>${esc(label)} — ${esc(n.phase)}${n.message ? ": " + esc(n.message) : ""}</title>` : "") + `${body}</g>`;
}

// An edge's line, its arrowhead and its bounds, computed once per layout.
function prepareEdge(e) {
  const pts = e.points;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of pts) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
  const line = pts.map((pt, i) => `${i ? "L" : "M"}${r1(pt[0])},${r1(pt[1])}`).join("");
  const [ax, ay] = pts[pts.length - 2], [bx, by] = pts[pts.length - 1];
  const len = Math.hypot(bx - ax, by - ay) || 1;
  const ux = (bx - ax) / len, uy = (by - ay) / len;
  const cx = bx - ux * ARROW_LEN, cy = by - uy * ARROW_LEN;
  const arrow = `M${r1(bx)},${r1(by)}L${r1(cx - uy * ARROW_HALF)},${r1(cy + ux * ARROW_HALF)}` +
    `L${r1(cx + uy * ARROW_HALF)},${r1(cy - ux * ARROW_HALF)}Z`;
  return { x0, y0, x1, y1, line, arrow };
}

export class GraphView {
  constructor(container, { onSelect, onUnfold }) {
    this.container = container;
    this.onSelect = onSelect;
    this.onUnfold = onUnfold;
    this.scale = 1; this.tx = 20; this.ty = 20;
    this.graph = null;
    this.byId = new Map();
    this.edges = [];
    this.selected = null;
    this.region = null; // the world rectangle whose nodes are in the DOM
    this.detail = null; // whether the drawn nodes carry labels
    this.width = 0; this.height = 0;
    this.svg = document.createElementNS(SVGNS, "svg");
    this.svg.setAttribute("class", "graph");
    this.svg.setAttribute("role", "group");
    this.svg.setAttribute("aria-label", "Workflow graph: Tab moves between nodes, Enter opens one; + and - zoom, arrows pan, 0 fits, f centres on the failed node");
    this.svg.setAttribute("tabindex", "0");
    this.svg.innerHTML = `<g class="world"><g class="edges"><path class="edge"/><path class="arrows"/></g><g class="nodes"></g></g>`;
    this.world = this.svg.querySelector(".world");
    this.edgePath = this.svg.querySelector("path.edge");
    this.arrowPath = this.svg.querySelector("path.arrows");
    this.nodeLayer = this.svg.querySelector(".nodes");
    container.append(this.svg);
    // The box's size comes from the page, not from what is drawn: watch it rather than measure it
    // after each draw (which would force a layout of the fresh nodes).
    new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      if (width === this.width && height === this.height) return;
      this.width = width; this.height = height;
      if (!this.graph || !width || !height) return;
      if (this.fitWhenShown) this.fit(); else this._apply();
    }).observe(this.svg);
    this._wire();
  }

  _size() {
    if (!this.width || !this.height) {
      const r = this.svg.getBoundingClientRect();
      this.width = r.width; this.height = r.height;
    }
    return { width: this.width, height: this.height };
  }

  // The viewport in the graph's coordinates.
  _viewport() {
    const { width, height } = this._size();
    return { x0: -this.tx / this.scale, y0: -this.ty / this.scale,
      x1: (width - this.tx) / this.scale, y1: (height - this.ty) / this.scale };
  }

  _apply() {
    this.world.setAttribute("transform", `translate(${this.tx},${this.ty}) scale(${this.scale})`);
    // Zoomed far out, labels and arrowheads are too small to read: leave them out of the paint.
    this.svg.classList.toggle("lod-low", this.scale < LOW_DETAIL);
    if (!this.graph) return;
    const v = this._viewport(), r = this.region;
    const inside = r && v.x0 >= r.x0 && v.y0 >= r.y0 && v.x1 <= r.x1 && v.y1 <= r.y1;
    if (!inside || this.detail !== (this.scale >= LOW_DETAIL)) this._draw();
  }

  _focusedId() {
    const a = document.activeElement;
    const g = a && this.svg.contains(a) && a.closest(".node");
    return g ? g.dataset.id : null;
  }

  // Put into the DOM the nodes and edges that meet the viewport and its margin (and the focused node).
  _draw() {
    const v = this._viewport();
    const mx = (v.x1 - v.x0) * MARGIN, my = (v.y1 - v.y0) * MARGIN;
    const r = { x0: v.x0 - mx, y0: v.y0 - my, x1: v.x1 + mx, y1: v.y1 + my };
    this.region = r;
    this.detail = this.scale >= LOW_DETAIL;
    const focused = this._focusedId();
    const shown = this.graph.nodes.filter((n) => n.id === focused ||
      (n.x + n.w / 2 >= r.x0 && n.x - n.w / 2 <= r.x1 && n.y + n.h / 2 >= r.y0 && n.y - n.h / 2 <= r.y1));
    const titled = this.detail && shown.length <= TITLES_UP_TO;
    this.nodeLayer.innerHTML = shown.map((n) => nodeSvg(n, this.selected, this.detail, titled)).join("");
    const lines = [], arrows = [];
    for (const e of this.edges) {
      if (e.x1 < r.x0 || e.x0 > r.x1 || e.y1 < r.y0 || e.y0 > r.y1) continue;
      lines.push(e.line); arrows.push(e.arrow);
    }
    this.edgePath.setAttribute("d", lines.join(""));
    this.arrowPath.setAttribute("d", arrows.join(""));
    this.svg.dataset.drawn = String(shown.length);
    if (focused) this._element(focused)?.focus({ preventScroll: true });
  }

  _element(id) {
    return this.nodeLayer.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
  }

  _wire() {
    let drag = null;
    this.svg.addEventListener("wheel", (e) => {
      e.preventDefault();
      const r = this.svg.getBoundingClientRect();
      this.zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    this.svg.addEventListener("pointerdown", (e) => {
      if (e.target.closest(".node")) return;
      drag = { x: e.clientX, y: e.clientY, tx: this.tx, ty: this.ty };
      this.svg.setPointerCapture(e.pointerId);
    });
    this.svg.addEventListener("pointermove", (e) => {
      if (!drag) return;
      this.tx = drag.tx + e.clientX - drag.x; this.ty = drag.ty + e.clientY - drag.y;
      this._apply();
    });
    this.svg.addEventListener("pointerup", () => { drag = null; });
    this.svg.addEventListener("click", (e) => {
      const g = e.target.closest(".node");
      if (g) this._activate(g.dataset.id);
    });
    // Tab onto a node beyond the edge of the view brings it into view (not a click: the node would move
    // from under the pointer before the click lands).
    this.svg.addEventListener("focusin", (e) => {
      const g = e.target.closest && e.target.closest(".node");
      const n = g && g.matches(":focus-visible") && this.byId.get(g.dataset.id);
      if (!n) return;
      const v = this._viewport();
      if (n.x - n.w / 2 < v.x0 || n.x + n.w / 2 > v.x1 || n.y - n.h / 2 < v.y0 || n.y + n.h / 2 > v.y1) {
        this.tx = (v.x1 - v.x0) * this.scale / 2 - n.x * this.scale; this.ty = (v.y1 - v.y0) * this.scale / 2 - n.y * this.scale;
        this._apply();
      }
    });
    this.svg.addEventListener("keydown", (e) => {
      const g = e.target.closest && e.target.closest(".node");
      if (g && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); this._activate(g.dataset.id); return; }
      const { width, height } = this._size();
      const step = 60;
      const keys = {
        "+": () => this.zoomAt(1.2, width / 2, height / 2), "=": () => this.zoomAt(1.2, width / 2, height / 2),
        "-": () => this.zoomAt(1 / 1.2, width / 2, height / 2), "0": () => this.fit(),
        ArrowLeft: () => { this.tx += step; this._apply(); }, ArrowRight: () => { this.tx -= step; this._apply(); },
        ArrowUp: () => { this.ty += step; this._apply(); }, ArrowDown: () => { this.ty -= step; this._apply(); },
        f: () => this.centreOnFailed(),
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
  }

  _activate(id) {
    const n = this.byId.get(id);
    if (!n) return;
    if (n.fold) this.onUnfold(n.id); else this.onSelect(n.id);
  }

  zoomAt(factor, cx, cy) {
    const s = Math.min(4, Math.max(0.02, this.scale * factor));
    const k = s / this.scale;
    this.tx = cx - (cx - this.tx) * k; this.ty = cy - (cy - this.ty) * k;
    this.scale = s;
    this._apply();
  }

  fit() {
    if (!this.graph) return;
    const { width, height } = this._size();
    // Not on screen (another tab is open): fit once it is shown.
    this.fitWhenShown = !width || !height;
    if (this.fitWhenShown) return;
    const g = this.graph;
    const s = Math.min(1.2, (width - 40) / Math.max(g.width, 1), (height - 40) / Math.max(g.height, 1));
    this.scale = Math.max(0.02, s);
    this.tx = (width - g.width * this.scale) / 2;
    this.ty = 20;
    this._apply();
  }

  centreOn(id) {
    const n = this.byId.get(id);
    if (!n) return false;
    const { width, height } = this._size();
    if (this.scale < 0.6) this.scale = 1;
    this.tx = width / 2 - n.x * this.scale; this.ty = height / 2 - n.y * this.scale;
    this._apply();
    const g = this._element(id);
    if (g) g.focus({ preventScroll: true });
    return true;
  }

  centreOnFailed() {
    return this.graph && this.graph.failed.length ? this.centreOn(this.graph.failed[0]) : false;
  }

  select(id) {
    this.selected = id;
    for (const g of this.nodeLayer.querySelectorAll(".node.selected")) g.classList.remove("selected");
    if (id) this._element(id)?.classList.add("selected");
  }

  // Draw a graph; when only phases changed (same layout), update the drawn nodes in place.
  update(graph) {
    const old = this.graph;
    this.graph = graph;
    this.byId = new Map(graph.nodes.map((n) => [n.id, n]));
    const sameShape = old && old.nodes.length === graph.nodes.length && old.edges.length === graph.edges.length &&
      old.nodes.every((n, i) => n.id === graph.nodes[i].id && n.x === graph.nodes[i].x && n.y === graph.nodes[i].y);
    if (sameShape) {
      const titled = this.detail && Number(this.svg.dataset.drawn) <= TITLES_UP_TO;
      const focused = this._focusedId();
      for (const [i, n] of old.nodes.entries()) {
        const m = graph.nodes[i];
        if (n.phase === m.phase && n.message === m.message && JSON.stringify(n.fold) === JSON.stringify(m.fold)) continue;
        const g = this._element(m.id);
        if (!g) continue;
        g.outerHTML = nodeSvg(m, this.selected, this.detail, titled);
        if (m.id === focused) this._element(m.id)?.focus({ preventScroll: true });
      }
    } else {
      this.edges = graph.edges.filter((e) => e.points.length >= 2).map(prepareEdge);
      this.region = null;
      if (!old) this.fit(); else this._apply();
    }
    this.svg.dataset.phase = graph.phase;
    this.svg.dataset.nodes = String(graph.nodes.length);
  }
}
