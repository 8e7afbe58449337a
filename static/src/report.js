// The report panel: a reason (radio buttons) and an optional note, sent to the moderators.
import { h } from "./dom.js";

let uid = 0;

export function reportForm(t, onSend, onCancel) {
  const group = `engage-r-${++uid}`;
  const noteId = `${group}-note`;
  const noteLabel = h("label", { for: noteId }, t.note);
  const note = h("textarea", { id: noteId, name: "note", rows: 2, maxlength: 2000 });
  const radios = Object.entries(t.reasons).map(([value, label]) =>
    h("label", { class: "choice" },
      // No reason chosen for the reader: required, so that sending asks for one.
      h("input", { type: "radio", name: group, value, required: true, onchange: () => {
        // A notice of illegal content must say why (EU Digital Services Act): ask for it.
        noteLabel.textContent = value === "illegal" ? t.noteIllegal : t.note;
        note.required = value === "illegal";
      } }),
      ` ${label}`));
  const form = h("form", { class: "report" },
    h("fieldset", {}, h("legend", {}, t.reportTitle), radios),
    h("div", { class: "field" }, noteLabel, note),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t.send),
      h("button", { type: "button", onclick: onCancel }, t.cancel)));
  form.addEventListener("keydown", (event) => event.key === "Escape" && onCancel());
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    onSend(form.querySelector("input:checked").value, note.value.trim());
  });
  return form;
}
