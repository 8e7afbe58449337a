// The comment form: a new comment, a reply or an edit, with inline errors from the API.
import { h } from "./dom.js";
import { author, edits } from "./store.js";

const MAX_BODY = 5000;
let uid = 0;

export function formMaker({ api, t, ref, errorMessage, offersReplies, thread }) {
  function field(label, control, hint) {
    const id = `engage-f-${++uid}`;
    control.id = id;
    const error = h("p", { class: "error", id: `${id}-error`, hidden: true });
    const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
    control.setAttribute("aria-describedby", [hintEl && hintEl.id, error.id].filter(Boolean).join(" "));
    return { wrap: h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl, error), control, error };
  }

  function setError(f, message) {
    f.error.hidden = !message;
    f.error.textContent = message || "";
    if (message) f.control.setAttribute("aria-invalid", "true");
    else f.control.removeAttribute("aria-invalid");
  }

  // One form for a new comment, a reply (parent) or an edit (editing: {id, body}); the new
  // comment's form waits collapsed into one field, and opens when it takes the focus.
  function commentForm({ parent, editing, collapsed, onDone, onCancel }) {
    const saved = author.get();
    // Signed in by the site: no name to type. Where the site takes accounts only, a guest gets
    // its login link instead of a form; where it takes both, the link beside the fields.
    const me = editing ? null : api.me();
    const { commenting, login_url: loginUrl } = thread() || {};
    const login = !me && loginUrl && commenting !== "guests" ? h("p", { class: "hint" }, h("a", { href: loginUrl }, t.login)) : null;
    if (login && commenting === "accounts") return login;
    const body = field(t.body, h("textarea", { name: "body", rows: editing ? 4 : 3, maxlength: MAX_BODY, required: true,
      placeholder: collapsed && t.placeholder }), t.bodyHint);
    const counter = h("p", { class: "hint counter", "aria-live": "off" });
    const fields = { body };
    const notify = { control: h("input", { type: "checkbox", name: "notify_replies" }) };
    notify.wrap = h("div", { class: "field" }, h("label", {}, notify.control, " ", t.notify));
    if (me) {
      notify.wrap.hidden = !(offersReplies() && me.email);
    } else if (!editing) {
      fields.author = field(t.name, h("input", { name: "author", autocomplete: "name", maxlength: 64, required: true }));
      fields.email = field(t.email, h("input", { name: "email", type: "email", autocomplete: "email", maxlength: 254 }), t.emailHint);
      fields.author.control.value = saved.name || "";
      fields.email.control.value = saved.email || "";
      // Asking for replies by e-mail makes sense once there is an address, on sites that offer it.
      const email = fields.email.control;
      const offer = () => (notify.wrap.hidden = !(offersReplies() && email.value.trim()));
      offer();
      email.addEventListener("input", offer);
    } else {
      body.control.value = editing.body;
    }
    const honeypot = h("input", { name: "website", tabindex: "-1", autocomplete: "off" });
    const status = h("p", { class: "status", role: "alert", hidden: true });
    const submit = h("button", { type: "submit", class: "primary" }, editing ? t.save : t.submit);
    const countChars = () => (counter.textContent = t.count(body.control.value.trim().length, MAX_BODY));
    // Proof of a human-speed submission: when the form was first touched, signed by the server.
    let formToken = null;
    const fetchToken = async () => {
      form.removeEventListener("focusin", fetchToken);
      const answer = await api.formToken();
      if (answer.ok) formToken = answer.data.form_token;
    };
    body.control.addEventListener("input", countChars);
    countChars();
    const form = h("form", { class: collapsed ? "compose collapsed" : "compose", novalidate: true,
      "aria-label": parent ? t.replyTitle(parent.author) : editing ? t.edit : t.formTitle },
      body.wrap, counter,
      me ? h("p", { class: "hint" }, t.signedAs(me.name)) : editing ? null : h("div", { class: "row" }, fields.author.wrap, fields.email.wrap),
      login,
      editing ? null : notify.wrap,
      h("div", { class: "trap", "aria-hidden": "true" }, h("label", {}, "Website", honeypot)),
      status,
      h("div", { class: "actions" }, submit, onCancel ? h("button", { type: "button", onclick: onCancel }, t.cancel) : null));
    form.addEventListener("keydown", (event) => event.key === "Escape" && onCancel && onCancel());
    if (!editing) form.addEventListener("focusin", fetchToken);
    form.addEventListener("focusin", () => form.classList.remove("collapsed"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      for (const f of Object.values(fields)) setError(f, "");
      status.hidden = true;
      submit.disabled = true;
      submit.textContent = t.sending;
      const text = body.control.value;
      const answer = editing
        ? await api.edit(editing.id, edits.get(editing.id)?.token, text)
        : await api.post({ ...ref, parent_id: parent ? parent.id : null, ...(me ? {} : { author: fields.author.control.value,
            email: fields.email.control.value }), body: text, website: honeypot.value,
            notify_replies: !notify.wrap.hidden && notify.control.checked,
            ...(formToken ? { form_token: formToken } : {}) });
      submit.disabled = false;
      submit.textContent = editing ? t.save : t.submit;
      if (answer.ok) {
        if (!editing) {
          if (!me) author.set(fields.author.control.value.trim(), fields.email.control.value.trim());
          body.control.value = "";
          countChars();
          if (collapsed) form.classList.add("collapsed"); // back to one line, the comment posted
        }
        return onDone(answer.data, text);
      }
      const problems = answer.error.fields || {};
      for (const name of Object.keys(problems)) if (fields[name]) setError(fields[name], t.fieldErrors[name]);
      status.textContent = errorMessage(answer.error);
      status.hidden = false;
      const first = Object.keys(problems).find((name) => fields[name]);
      if (first) fields[first].control.focus();
    });
    return form;
  }

  return commentForm;
}
