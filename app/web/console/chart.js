// Bar charts drawn as inline SVG (no library): one bar per entry, value at its end. The SVG carries a
// <title> and a <desc> listing every value, so the chart reads the same without seeing it.

const SVG = "http://www.w3.org/2000/svg";
let chartCount = 0;

function svg(tag, attributes = {}, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

export function barChart(title, entries, { width = 360, bar = 22, gap = 10, labelWidth = 96 } = {}) {
  const id = `chart-${++chartCount}`;
  const height = entries.length * (bar + gap) + gap;
  const largest = Math.max(1, ...entries.map((entry) => entry.value));
  const room = width - labelWidth - 48;
  const description = entries.map((entry) => `${entry.label}: ${entry.value}`).join(", ");
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  caption.id = `${id}-title`;
  caption.textContent = title;
  const drawing = svg("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-labelledby": `${id}-title ${id}-desc` });
  drawing.append(svg("title", {}, title), svg("desc", { id: `${id}-desc` }, description));
  entries.forEach((entry, index) => {
    const y = gap + index * (bar + gap);
    const length = Math.round((entry.value / largest) * room);
    const group = svg("g", { "data-label": entry.label, "data-value": entry.value });
    group.append(
      svg("text", { x: labelWidth - 8, y: y + bar * 0.7, "text-anchor": "end", "font-size": 13, fill: "#1d2330" }, entry.label),
      svg("rect", { x: labelWidth, y, width: Math.max(length, 1), height: bar, rx: 3, fill: entry.color || "#2f5bd3" }),
      svg("text", { x: labelWidth + Math.max(length, 1) + 6, y: y + bar * 0.7, "font-size": 13, fill: "#1d2330" },
        String(entry.value)));
    drawing.append(group);
  });
  figure.append(caption, drawing);
  return figure;
}
