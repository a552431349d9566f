// Building DOM nodes: one small `h` for elements with attributes, properties, handlers and children.

/**
 * `h("button", { class: "x", onclick: f, dataset: { testid: "kill" } }, "Kill")`: keys starting with `on` become
 * listeners, `dataset` fills data-*, `hidden`/`disabled`/`checked`/`value` set the property, the rest attributes.
 * Children may be nodes, strings, numbers, arrays of them, or null/undefined/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "hidden" || key === "disabled" || key === "checked" || key === "value") element[key] = value;
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces everything inside `element` with `children`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** Sets an element's text only when it changed (so live updates do not disturb selection or screen readers). */
export function setText(element, text) {
  const value = String(text);
  if (element.textContent !== value) element.textContent = value;
}

/** `fn`, called once `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
