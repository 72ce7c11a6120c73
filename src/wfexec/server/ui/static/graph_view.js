// The run graph as SVG: boxes and polylines from the server's layout, zoom and pan, keyboard.

import { phaseInfo } from "./util.js";

const SVGNS = "http://www.w3.org/2000/svg";
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const ABBR = { Succeeded: "✓", Failed: "✗", Error: "!", Running: "running", Pending: "pending", Skipped: "skipped", Omitted: "omitted" };

export function foldCounts(fold) {
  const order = ["Succeeded", "Failed", "Error", "Running", "Pending", "Skipped", "Omitted"];
  return order.filter((p) => fold.phases[p]).map((p) => {
    const n = fold.phases[p].toLocaleString("en-US");
    return ABBR[p].length === 1 ? `${n} ${ABBR[p]}` : `${n} ${ABBR[p]}`;
  }).join(" ");
}

function clip(text, max) {
  return text.length > max ? text.slice(0, max - 1) + "…" : text;
}

// A hover title per node helps on small graphs; on thousands it is mostly parse time.
const TITLES_UP_TO = 1000;

function nodeSvg(n, selected, titled = true) {
  const p = phaseInfo(n.phase);
  const x = n.x - n.w / 2, y = n.y - n.h / 2;
  const cls = `node ${p.cls} t-${n.type.toLowerCase()}${n.fold ? " fold" : ""}${n.id === selected ? " selected" : ""}`;
  const label = n.fold ? `${n.label}: ${foldCounts(n.fold)}` : `${n.label} (${n.type})`;
  const round = n.type === "Pod" || n.type === "Container" ? 6 : n.fold ? 10 : n.h / 2;
  let body = `<rect x="${x}" y="${y}" width="${n.w}" height="${n.h}" rx="${round}"/>` +
    `<text class="icon" x="${x + 14}" y="${n.y + 5}" aria-hidden="true">${esc(p.icon)}</text>` +
    `<text class="lbl" x="${x + 30}" y="${n.fold ? n.y - 6 : n.y + 5}">${esc(clip(n.label, n.fold ? 26 : 20))}</text>`;
  if (n.fold) {
    body += `<text class="counts" x="${x + 30}" y="${n.y + 14}">${esc(clip(foldCounts(n.fold), 30))}</text>` +
      `<text class="unfold" x="${x + n.w - 12}" y="${n.y + 5}" text-anchor="end" aria-hidden="true">⊕</text>`;
  }
  return `<g class="${cls}" data-id="${esc(n.id)}" tabindex="0" role="button" aria-label="${esc(label)}, ${esc(n.phase)}">` +
    (titled ? `<title>${esc(label)} — ${esc(n.phase)}${n.message ? ": " + esc(n.message) : ""}</title>` : "") + `${body}</g>`;
}

function edgeSvg(e) {
  if (!e.points.length) return "";
  const d = e.points.map((pt, i) => `${i ? "L" : "M"}${pt[0]},${pt[1]}`).join(" ");
  return `<path class="edge" d="${d}" marker-end="url(#arrow)"/>`;
}

export class GraphView {
  constructor(container, { onSelect, onUnfold }) {
    this.container = container;
    this.onSelect = onSelect;
    this.onUnfold = onUnfold;
    this.scale = 1; this.tx = 20; this.ty = 20;
    this.graph = null;
    this.selected = null;
    this.svg = document.createElementNS(SVGNS, "svg");
    this.svg.setAttribute("class", "graph");
    this.svg.setAttribute("role", "group");
    this.svg.setAttribute("aria-label", "Workflow graph: Tab moves between nodes, Enter opens one; + and - zoom, arrows pan, 0 fits, f centres on the failed node");
    this.svg.setAttribute("tabindex", "0");
    this.svg.innerHTML = `<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs><g class="world"><g class="edges"></g><g class="nodes"></g></g>`;
    this.world = this.svg.querySelector(".world");
    container.append(this.svg);
    this._wire();
  }

  _apply() {
    this.world.setAttribute("transform", `translate(${this.tx},${this.ty}) scale(${this.scale})`);
    // Zoomed far out, labels and arrowheads are too small to read: leave them out of the paint.
    this.svg.classList.toggle("lod-low", this.scale < 0.3);
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
    this.svg.addEventListener("keydown", (e) => {
      const g = e.target.closest && e.target.closest(".node");
      if (g && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); this._activate(g.dataset.id); return; }
      const r = this.svg.getBoundingClientRect();
      const step = 60;
      const keys = {
        "+": () => this.zoomAt(1.2, r.width / 2, r.height / 2), "=": () => this.zoomAt(1.2, r.width / 2, r.height / 2),
        "-": () => this.zoomAt(1 / 1.2, r.width / 2, r.height / 2), "0": () => this.fit(),
        ArrowLeft: () => { this.tx += step; this._apply(); }, ArrowRight: () => { this.tx -= step; this._apply(); },
        ArrowUp: () => { this.ty += step; this._apply(); }, ArrowDown: () => { this.ty -= step; this._apply(); },
        f: () => this.centreOnFailed(),
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
  }

  _activate(id) {
    const n = this.graph && this.graph.nodes.find((x) => x.id === id);
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
    const r = this.svg.getBoundingClientRect();
    const g = this.graph;
    const s = Math.min(1.2, (r.width - 40) / Math.max(g.width, 1), (r.height - 40) / Math.max(g.height, 1));
    this.scale = Math.max(0.02, s);
    this.tx = (r.width - g.width * this.scale) / 2;
    this.ty = 20;
    this._apply();
  }

  centreOn(id) {
    const n = this.graph && this.graph.nodes.find((x) => x.id === id);
    if (!n) return false;
    const r = this.svg.getBoundingClientRect();
    if (this.scale < 0.6) this.scale = 1;
    this.tx = r.width / 2 - n.x * this.scale; this.ty = r.height / 2 - n.y * this.scale;
    this._apply();
    const g = this.svg.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
    if (g) g.focus({ preventScroll: true });
    return true;
  }

  centreOnFailed() {
    return this.graph && this.graph.failed.length ? this.centreOn(this.graph.failed[0]) : false;
  }

  select(id) {
    this.selected = id;
    for (const g of this.svg.querySelectorAll(".node.selected")) g.classList.remove("selected");
    if (id) {
      const g = this.svg.querySelector(`.node[data-id="${CSS.escape(id)}"]`);
      if (g) g.classList.add("selected");
    }
  }

  // Draw a graph; when only phases changed (same layout), update the nodes in place.
  update(graph) {
    const old = this.graph;
    this.graph = graph;
    const sameShape = old && old.nodes.length === graph.nodes.length && old.edges.length === graph.edges.length &&
      old.nodes.every((n, i) => n.id === graph.nodes[i].id && n.x === graph.nodes[i].x && n.y === graph.nodes[i].y);
    if (sameShape) {
      const byId = new Map(graph.nodes.map((n) => [n.id, n]));
      for (const [i, n] of old.nodes.entries()) {
        const m = graph.nodes[i];
        if (n.phase !== m.phase || n.message !== m.message || JSON.stringify(n.fold) !== JSON.stringify(m.fold)) {
          const g = this.svg.querySelector(`.node[data-id="${CSS.escape(m.id)}"]`);
          if (g) g.outerHTML = nodeSvg(byId.get(m.id), this.selected, graph.nodes.length <= TITLES_UP_TO);
        }
      }
    } else {
      // Fit first: far out, labels are left out of the first layout (SVG text is its costly part).
      if (!old) this.fit();
      this.world.querySelector(".edges").innerHTML = graph.edges.map(edgeSvg).join("");
      const titled = graph.nodes.length <= TITLES_UP_TO;
      this.world.querySelector(".nodes").innerHTML = graph.nodes.map((n) => nodeSvg(n, this.selected, titled)).join("");
    }
    this.svg.dataset.phase = graph.phase;
    this.svg.dataset.nodes = String(graph.nodes.length);
  }
}
