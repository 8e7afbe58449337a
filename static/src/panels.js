// The panels readers seldom open, in a module of their own that the widget fetches the first
// time one is opened (widget.js): the report form, the edit form and the delete confirmation.
import { clear, h } from "./dom.js";

let uid = 0;

export function reportForm({ t, api, comment, panel, myReports, errorMessage }) {
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
      h("button", { type: "button", onclick: panel.close }, t.cancel)));
  form.addEventListener("keydown", (event) => event.key === "Escape" && panel.close());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    const answer = await api.flag(comment.id, form.querySelector("input:checked").value, note.value.trim());
    const opener = panel.opener;
    panel.opener = null; // focus goes to the answer, not back to a button about to go
    panel.close();
    if (answer.ok) {
      // Reported once is enough, in this browser for good: the button becomes a mark.
      myReports.set([...(myReports.get() || []), comment.id].slice(-200));
      opener?.replaceWith(h("span", { class: "muted done" }, t.reportedAlready));
    }
    const status = h("p", { class: "status", role: "status", tabindex: "-1" }, answer.ok ? t.reported : errorMessage(answer.error));
    panel.slot.append(status);
    status.focus();
  });
  return form;
}

// "Delete for good?", for the author of a comment, within its edit window.
export function confirmRemove({ t, api, comment, item, panel, edits, errorMessage, announce, title, removed }) {
  const yes = h("button", { type: "button", class: "primary danger", onclick: async () => {
    const answer = await api.remove(comment.id, edits.get(comment.id)?.token);
    if (!answer.ok) return clear(panel.slot, h("p", { class: "status", role: "alert" }, errorMessage(answer.error)));
    edits.drop(comment.id);
    const replies = item.querySelector(":scope > .replies");
    const moreReplies = item.querySelector(":scope > .more-replies");
    // The keyboard goes on where the comment was: its tombstone, else the next comment,
    // the previous one, or the thread's title.
    const neighbour = item.nextElementSibling || item.previousElementSibling;
    if (replies && (replies.children.length || moreReplies)) clear(item, h("p", { class: "tombstone", tabindex: "-1" }, t.deleted), replies, moreReplies);
    else item.remove();
    announce(t.removed);
    removed();
    const next = item.isConnected ? item : neighbour;
    (next?.querySelector("article, .tombstone") || title).focus();
  } }, t.remove);
  const question = h("p", { id: `engage-c-${++uid}` }, t.confirmRemove);
  const group = h("div", { class: "confirm", role: "group", "aria-labelledby": question.id }, question, yes,
    h("button", { type: "button", onclick: panel.close }, t.cancel));
  group.addEventListener("keydown", (event) => event.key === "Escape" && panel.close());
  return group;
}

// An author's edit of their own comment, with the form every comment is written in.
export function editForm({ t, comment, body, panel, badges, edited, edits, commentForm, showBody, announce }) {
  const own = edits.get(comment.id);
  if (!own) return h("p", { class: "status", role: "status" }, t.tooLate);
  return commentForm({
    editing: { id: comment.id, body: own.body || body.textContent },
    onDone: (data, text) => {
      showBody(body, data.comment.body_html);
      edits.set(comment.id, own.token, own.expires, text);
      edited.textContent = ` · ${t.edited}`;
      const held = data.status === "pending";
      if (held) clear(badges, h("span", { class: "badge wait" }, t.awaiting));
      panel.close();
      announce(held ? t.pending : t.saved);
    },
    onCancel: panel.close,
  });
}

// The next batch of replies under a top-level comment, each placed under the comment it
// answers (its anchor), in reading order. `more` holds the cursor and the count left.
export async function moreReplies({ t, api, ref, item, button: more, more: left, renderComment, announce, errorMessage }) {
  // Busy while aria-disabled; not `disabled`: a disabled button would drop the keyboard focus.
  if (more.hasAttribute("aria-disabled")) return;
  more.setAttribute("aria-disabled", "true");
  const answer = await api.replies(ref.article, left.cursor);
  more.removeAttribute("aria-disabled");
  if (!item.isConnected) return; // the thread was redrawn (another sort) meanwhile
  if (!answer.ok) return announce(errorMessage(answer.error));
  const added = [];
  for (const reply of answer.data.comments) {
    left.count -= 1;
    if (item.querySelector(`[data-comment-id="${reply.id}"]`)) continue;
    const anchor = reply.anchor_id === Number(item.dataset.commentId)
      ? item : item.querySelector(`[data-comment-id="${reply.anchor_id}"]`);
    const list = anchor && anchor.querySelector(":scope > .replies");
    if (!list) continue;
    const node = renderComment(reply, { reply: true });
    list.append(node);
    added.push(node);
  }
  left.cursor = answer.data.next_cursor;
  // The cursor decides: replies posted since the page loaded make the count an estimate.
  if (left.cursor) more.textContent = t.moreReplies(Math.max(left.count, 1));
  else more.remove();
  // Keep the keyboard where the reading goes on, even when the button is gone.
  if (added.length) added[0].querySelector("article, .tombstone")?.focus();
  else if (!left.cursor) item.querySelector("article, .tombstone")?.focus();
}
