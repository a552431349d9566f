// One process's detail: every process_info item, links and monitors as pids, its sys state, kill and send.
import { fill, h, setText } from "../dom.js";
import * as fmt from "../format.js";
import { isPid, pidLink } from "./pids.js";

/** `act(action)` resolves with `{ ok: true }` or `{ ok: false, error }`. */
export function createProcess(section, { act }) {
  let pid = null;
  let lastInfo = "";

  const title = h("h2", { dataset: { testid: "process-title" } });
  const alive = h("span", { class: "badge", dataset: { testid: "process-alive" } });
  const result = h("p", { class: "action-result", role: "status", dataset: { testid: "action-result" } });
  const infoBody = h("tbody");
  const infoTable = h("table", { class: "info", dataset: { testid: "process-info" } }, infoBody);
  const state = h("pre", { class: "state", dataset: { testid: "process-state" } });

  const reason = h("input", {
    id: "kill-reason",
    value: "kill",
    autocomplete: "off",
    dataset: { testid: "kill-reason" },
  });
  const dialogText = h("p");
  const dialog = h(
    "dialog",
    { class: "confirm", dataset: { testid: "kill-dialog" }, "aria-labelledby": "kill-dialog-title" },
    h(
      "form",
      { method: "dialog" },
      h("h3", { id: "kill-dialog-title" }, "Kill the process?"),
      dialogText,
      h("label", { for: "kill-reason" }, "Exit reason (Erlang syntax)"),
      reason,
      h(
        "div",
        { class: "dialog-buttons" },
        h("button", { value: "cancel", type: "submit", dataset: { testid: "kill-cancel" } }, "Cancel"),
        h("button", { value: "kill", type: "submit", class: "danger", dataset: { testid: "kill-confirm" } }, "Kill"),
      ),
    ),
  );
  const kill = h("button", { type: "button", class: "danger", dataset: { testid: "process-kill" } }, "Kill…");
  kill.addEventListener("click", () => {
    setText(dialogText, `An exit signal goes to ${pid}. Unless it traps exits (or the reason is normal), it dies.`);
    reason.value = "kill";
    dialog.returnValue = "";
    dialog.showModal();
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "kill") run({ kind: "kill", pid, reason: reason.value.trim() || "kill" }, "killed");
  });

  const message = h("input", {
    id: "send-message",
    placeholder: "{hello, 1}",
    autocomplete: "off",
    spellcheck: "false",
    dataset: { testid: "send-message" },
  });
  const sendForm = h(
    "form",
    { class: "send", dataset: { testid: "send-form" } },
    h("label", { for: "send-message" }, "Send a message (Erlang syntax)"),
    h(
      "div",
      { class: "send-row" },
      message,
      h("button", { type: "submit", dataset: { testid: "send-submit" } }, "Send"),
    ),
  );
  sendForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (message.value.trim() === "") return;
    run({ kind: "send", pid, message: message.value.trim() }, "sent");
  });

  async function run(action, done) {
    const target = pid;
    setText(result, `${action.kind === "kill" ? "killing" : "sending"}…`);
    result.dataset.ok = "";
    const answer = await act(action);
    if (target !== pid) return;
    result.dataset.ok = String(answer.ok);
    setText(result, answer.ok ? `${done} ✓` : `failed: ${answer.error}`);
  }

  fill(
    section,
    h("p", {}, h("a", { href: "#processes", class: "back", dataset: { testid: "process-back" } }, "← Processes")),
    h("div", { class: "section-head" }, title, alive),
    h("div", { class: "actions" }, kill, sendForm),
    result,
    h(
      "div",
      { class: "detail-grid" },
      h("div", {}, h("h3", {}, "Process info"), infoTable),
      h("div", {}, h("h3", {}, "State (sys:get_state)"), state),
    ),
    dialog,
  );

  function valueCell(key, value) {
    if (Array.isArray(value)) {
      if (value.length === 0) return h("span", { class: "muted" }, "[]");
      return h(
        "ul",
        { class: "inline-list" },
        value.map((item) => h("li", {}, isPid(item) ? pidLink(item) : item)),
      );
    }
    if (isPid(value)) return pidLink(value);
    if (value === null) return h("span", { class: "muted" }, "—");
    if (key === "memory" && typeof value === "number") return fmt.bytes(value);
    if (typeof value === "number") return fmt.count(value);
    return String(value);
  }

  return {
    /** Shows `next` (before its first push arrives): clears what the previous process left. */
    open(next) {
      if (next === pid) return;
      pid = next;
      lastInfo = "";
      setText(title, pid);
      setText(alive, "");
      setText(result, "");
      infoBody.replaceChildren();
      setText(state, "");
      message.value = "";
    },
    update({ detail }) {
      if (detail.pid !== pid) return;
      setText(alive, detail.alive ? "alive" : "dead");
      alive.dataset.alive = String(detail.alive);
      alive.classList.toggle("bad", !detail.alive);
      alive.classList.toggle("good", detail.alive);
      kill.disabled = !detail.alive;
      const name = detail.info.registered_name ?? detail.info.registeredName;
      setText(title, typeof name === "string" && name !== "" && name !== "[]" ? `${pid} · ${name}` : pid);
      // Re-render the items only when they changed, so a selection or a focused link survives the pushes.
      // A dead process has no info left: keep what it last showed, dimmed.
      infoTable.classList.toggle("stale", !detail.alive);
      const info = JSON.stringify(detail.info);
      if (info !== lastInfo && (detail.alive || Object.keys(detail.info).length > 0)) {
        lastInfo = info;
        fill(
          infoBody,
          Object.entries(detail.info).map(([key, value]) =>
            h(
              "tr",
              { dataset: { testid: `info-${key}` } },
              h("th", { scope: "row" }, key),
              h("td", {}, valueCell(key, value)),
            ),
          ),
        );
      }
      state.classList.toggle("muted", detail.state === null);
      setText(state, detail.state ?? (detail.alive ? "(it does not answer sys calls)" : "(the process is not alive)"));
    },
  };
}
