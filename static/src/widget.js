// The thread widget: reactions, share bar, comment form and thread, in an open shadow root.
import css from "./widget.css";
import { append, clear, h } from "./dom.js";
import { absoluteTime, fmt, relativeTime } from "./i18n.js";
import { engagementBars } from "./engagement.js";
import { edits, perArticle } from "./store.js";
import { formMaker } from "./form.js";

let uid = 0;

// The page's path; with WordPress's plain permalinks (/?p=123) its query too, as
// `engage import wordpress` keys them (engage/importers/wxr.py, article_of).
const PLAIN_PERMALINK = /^(p|page_id|attachment_id)$/;
function articleOf(where) {
  const query = where.search.slice(1);
  const plain = query && query.split("&").some((pair) => PLAIN_PERMALINK.test(pair.split("=")[0]));
  return plain ? where.pathname + where.search : where.pathname;
}

function articleRef(container) {
  const canonical = document.querySelector('link[rel="canonical"]');
  let canonicalUrl = null;
  try {
    canonicalUrl = canonical ? new URL(canonical.getAttribute("href"), location.href) : null;
  } catch {
    /* a broken canonical link: fall back to the page's own address */
  }
  const ogTitle = document.querySelector('meta[property="og:title"]');
  const data = container.dataset;
  return {
    article: data.engageArticle || articleOf(canonicalUrl || location),
    url: data.engageUrl || (canonicalUrl ? canonicalUrl.href : location.href.split("#")[0]),
    title: (data.engageTitle || (ogTitle && ogTitle.content) || document.title || "").slice(0, 300),
  };
}

// "auto" follows the page's real background (its first opaque one behind the container),
// and looks again when the reader's colour scheme changes, for pages that follow it.
function followTheme(shell, wanted) {
  const apply = () => {
    let el = shell.getRootNode().host || null;
    let dark = false;
    for (; el; el = el.parentElement) {
      const rgb = getComputedStyle(el).backgroundColor.match(/[\d.]+/g) || [];
      if (rgb.length > 3 && +rgb[3] === 0) continue;
      dark = rgb.length > 2 && 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2] < 128;
      break;
    }
    shell.dataset.theme = dark ? "dark" : "light";
  };
  if (wanted !== "auto") return (shell.dataset.theme = wanted === "dark" ? "dark" : "light");
  shell.dataset.auto = "";
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", apply);
  queueMicrotask(apply); // once the shadow root is attached
}

// Initials on a colour drawn from the name (white on it reads at 4.5:1 or better, whatever
// the hue): no picture to fetch, no Gravatar telling a third party who reads what.
function avatar(name) {
  let hue = 0;
  for (const char of name) hue = (hue * 31 + char.codePointAt(0)) % 360;
  const el = h("span", { class: "avatar", "aria-hidden": "true" },
    name.trim().split(/\s+/, 2).map((word) => [...word][0]).join("").toUpperCase());
  el.style.background = `hsl(${hue} 45% 30%)`; // CSSOM, which a strict style-src allows
  return el;
}

export function mountThread(container, api, lang, t) {
  const ref = articleRef(container);
  // A container holding the server's fragment (GET /thread.html) shows it until the thread
  // is drawn, and keeps its height: the widget takes its place without a jump.
  const prefilled = container.children.length;
  if (prefilled) container.style.minHeight = `${container.offsetHeight}px`;
  const root = container.attachShadow({ mode: "open" });
  // The live region inside the section: announcements are read in the widget's language.
  const live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const view = h("div", {}, prefilled ? h("slot") : h("p", { class: "muted" }, t.loading));
  const shell = h("section", { class: "engage", lang, "aria-label": t.region }, view, live);
  followTheme(shell, container.dataset.engageTheme);
  append(root, [h("style", {}, css), shell]);

  const myReaction = perArticle("reaction", api.site, ref.article);
  const myLikes = perArticle("likes", api.site, ref.article);
  const state = { sort: "oldest", thread: null, cursor: null };
  const list = h("ol", { class: "comments" });
  const picks = h("ol", { class: "comments" });
  const more = h("button", { type: "button", class: "more", hidden: true, onclick: () => load(true) }, t.more);
  const title = h("h2", { class: "title", id: `engage-title-${++uid}`, tabindex: "-1" });
  const myReports = perArticle("reported", api.site, ref.article);

  function announce(message) {
    // Clearing first makes screen readers repeat an identical message.
    live.textContent = "";
    setTimeout(() => (live.textContent = message), 50);
  }

  // Each error code has its own words in each language; the server's English message is
  // for developers and never shown.
  function errorMessage(error) {
    if (error.code === "rate_limited") return t.wait(error.retry_after);
    const fields = Object.keys(error.fields || {});
    if (error.code === "validation_error" && fields.some((f) => t.fieldErrors[f])) return t.fixFields;
    if (error.code === "validation_error" && fields.includes("parent_id")) return t.errors.gone;
    return t.errors[error.code] || t.failed;
  }

  // For the site owner, in the console: what to change so that the page gets its comments.
  function explain(error) {
    if (error.code === "forbidden_origin") {
      console.warn(`engage: ${location.origin} is not an origin of site ${api.site}: engage site set ${api.site} origin=${location.origin}`);
    } else if (error.code === "unknown_site") {
      console.warn(`engage: no site ${api.site} here: check data-engage-site (engage site list)`);
    }
  }

  const commentForm = formMaker({ api, t, ref, errorMessage, offersReplies: () => state.thread?.notify_replies, thread: () => state.thread });

  function rememberOwn(data, text) {
    const expires = data.edit_expires_at ? Date.parse(data.edit_expires_at) : Date.now() + 15 * 60000;
    edits.set(data.comment.id, data.edit_token, expires, text);
  }

  // --- comments -------------------------------------------------------------------------

  // The time is the comment's permalink; its full date shows on hover and focus.
  function timeLink(comment) {
    return h("a", { class: "when", href: `#comment-${comment.id}` },
      h("time", { datetime: comment.created_at, "data-relative": "" }, relativeTime(lang, comment.created_at)),
      h("span", { class: "tip" }, absoluteTime(lang, comment.created_at)));
  }

  const shown = new Set(); // ids listed once already: "more" pages never repeat them

  // The report form, the edit form and the delete confirmation are fetched the first time a
  // reader opens one (panels.js): most readers never do.
  let fetched;
  const panels = () => (fetched ||= import(`${api.base}/embed/panels.js?v=${VERSION}`));

  function renderComment(comment, { pending = false, reply = false } = {}) {
    shown.add(comment.id);
    // id="comment-N": the anchor moderators' links and shared links point at.
    const item = h("li", { class: "comment", id: `comment-${comment.id}`, "data-comment-id": comment.id });
    const replies = h("ol", { class: "replies" });
    for (const child of comment.replies || []) replies.append(renderComment(child, { reply: true }));
    const moreReplies = comment.more_replies ? moreRepliesButton(item, comment.more_replies) : null;
    if (comment.deleted) {
      append(item, [h("p", { class: "tombstone", tabindex: "-1" }, t.deleted), replies, moreReplies]);
      return item;
    }
    const nameId = `engage-a-${++uid}`;
    const body = h("div", { class: "body" });
    showBody(body, comment.body_html);
    const slot = h("div", { class: "slot" });
    const likes = new Set(myLikes.get() || []);
    const likeCount = h("span", { class: "count" }, comment.likes ? fmt(lang, comment.likes) : "");
    // Its name is its visible text; liked shows in the shape of the heart, not its colour only.
    const likeButton = h("button", { type: "button", class: "link like", "aria-pressed": String(likes.has(comment.id)),
      onclick: () => toggleLike(comment, likeButton, likeCount) },
      h("span", { class: "heart", "aria-hidden": "true" }), t.like, " ", likeCount);
    const badges = h("span", {}, pending ? h("span", { class: "badge wait" }, t.awaiting) : null);
    const edited = h("span", {}, comment.edited_at ? ` · ${t.edited}` : "");
    const panel = { slot, opener: null };
    // The panel (reply, report, edit, delete) closes with focus back on the button that opened it.
    panel.close = () => {
      clear(slot);
      if (panel.opener) {
        panel.opener.setAttribute("aria-expanded", "false");
        panel.opener.focus();
      }
      panel.opener = null;
    };
    panel.open = (button, content) => {
      const again = panel.opener === button;
      panel.close();
      if (again) return;
      panel.opener = button;
      button.setAttribute("aria-expanded", "true");
      slot.append(content);
      // Straight to what is left to type: the name is usually remembered already.
      const fields = [...content.querySelectorAll("input:not([tabindex='-1']), textarea, button")];
      (fields.find((el) => el.required && !el.value) || fields[0]).focus();
    };
    const button = (label, build) => {
      const b = h("button", { type: "button", class: "link", "aria-expanded": "false", onclick: async () => {
        try {
          panel.open(b, await build());
        } catch {
          announce(t.failed); // the report form could not be fetched
        }
      } }, label);
      return b;
    };
    const ownActions = h("span", { class: "actions" });
    // A closed thread offers no "Reply": the reader learns it before writing, not after.
    const open = state.thread && state.thread.open;
    const reported = (myReports.get() || []).includes(comment.id);
    const actions = h("div", { class: "actions" }, pending ? null : likeButton,
      pending || !open ? null : button(t.reply, () => commentForm({ parent: comment, onDone: (data, text) => posted(data, text, replies, panel), onCancel: panel.close })),
      pending ? null : reported ? h("span", { class: "muted done" }, t.reportedAlready)
        : button(t.report, async () => (await panels()).reportForm({ t, api, comment, panel, myReports, errorMessage })),
      ownActions);
    const own = edits.get(comment.id);
    if (own) {
      append(ownActions, [
        button(t.edit, async () => (await panels()).editForm({ t, comment, body, panel, badges, edited, edits, commentForm, showBody, announce })),
        button(t.remove, async () => (await panels()).confirmRemove({ t, api, comment, item, panel, edits, errorMessage, announce, title,
          removed: () => pending || setCount((state.thread.comment_count = Math.max(0, state.thread.comment_count - 1))) })),
      ]);
      // The edit token stops working at the end of the window: so do its buttons.
      setTimeout(() => { if (!slot.children.length) clear(ownActions); }, Math.min(own.expires - Date.now(), 2 ** 31 - 1));
    }
    append(item, [
      h("article", { "aria-labelledby": nameId, tabindex: "-1" }, avatar(comment.author),
        h("div", { class: "main" },
          h("header", {},
            h("span", { class: "author", id: nameId }, comment.author),
            comment.moderator ? h("span", { class: "badge mod" }, t.moderator) : null,
            comment.badge ? h("span", { class: "badge" }, comment.badge) : null,
            // Featured top-level comments have their own section; a featured reply its badge.
            comment.featured && reply ? h("span", { class: "badge star" }, t.featured) : null,
            h("span", { class: "muted" }, timeLink(comment), edited), badges),
          body, actions, slot)),
      replies, moreReplies]);
    return item;
  }

  // A page lists the first replies under each comment; the rest come in batches (panels.js,
  // fetched at the first click: most threads never need one).
  function moreRepliesButton(item, more) {
    const b = h("button", { type: "button", class: "link more-replies", onclick: async () => {
      try {
        (await panels()).moreReplies({ t, api, ref, item, button: b, more, renderComment, announce, errorMessage });
      } catch {
        announce(t.failed);
      }
    } }, t.moreReplies(more.count));
    return b;
  }

  function showBody(body, html) {
    body.innerHTML = html; // sanitized by the server: engage/sanitize.py is its only source
    for (const link of body.querySelectorAll("a")) {
      link.target = "_blank";
      link.rel = "nofollow ugc noopener noreferrer";
    }
  }

  async function toggleLike(comment, button, count) {
    const likes = new Set(myLikes.get() || []);
    const on = !likes.has(comment.id);
    const answer = await api.like(comment.id, on);
    if (!answer.ok) return announce(errorMessage(answer.error));
    on ? likes.add(comment.id) : likes.delete(comment.id);
    myLikes.set([...likes]);
    button.setAttribute("aria-pressed", String(on));
    count.textContent = answer.data.likes ? fmt(lang, answer.data.likes) : "";
  }

  function posted(data, text, into, panel) {
    rememberOwn(data, text);
    const pending = data.status === "pending";
    const item = renderComment(data.comment, { pending, reply: into !== list });
    if (into === list) {
      list.querySelector(".empty")?.remove();
      // Where the sort puts it on the next reload: first when newest first, else last.
      if (state.sort === "newest") list.prepend(item);
      else list.append(item);
    } else {
      into.append(item);
      panel.opener = null; // focus goes to the new reply, not back to "Reply"
      panel.close();
      for (const b of into.parentNode.querySelectorAll(":scope > article [aria-expanded]")) b.setAttribute("aria-expanded", "false");
    }
    if (!pending) setCount(++state.thread.comment_count);
    announce(pending ? t.pending : t.posted);
    item.querySelector("article").focus();
  }

  function setCount(n) {
    title.textContent = t.commentsTitle(n);
  }

  // --- loading --------------------------------------------------------------------------

  let loading = 0; // only the answer to the latest request is shown (fast sort changes)

  async function load(next) {
    if (next && more.getAttribute("aria-disabled")) return;
    const request = ++loading;
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    more.setAttribute("aria-disabled", "true");
    const answer = await api.thread(ref.article, state.sort, next ? state.cursor : null);
    if (request !== loading) return;
    more.removeAttribute("aria-disabled");
    if (!answer.ok) {
      if (!state.thread) {
        clear(view, h("p", { class: "status", role: "alert" }, errorMessage(answer.error)), prefilled ? h("slot") : null);
        explain(answer.error);
      } else announce(errorMessage(answer.error));
      return;
    }
    const page = answer.data;
    if (!next) {
      seen = JSON.stringify(page);
      clear(news).hidden = true;
    }
    state.cursor = page.next_cursor;
    const first = !state.thread;
    state.thread = page.thread;
    if (first) build(page);
    setCount(page.thread.comment_count);
    engagement.show(page.thread);
    if (!next) {
      clear(list);
      clear(picks);
      shown.clear();
    }
    const added = [];
    for (const comment of page.comments) {
      if (shown.has(comment.id)) continue;
      const item = renderComment(comment);
      // The API lists featured comments first: they go to the editors' section.
      (comment.featured ? picks : list).append(item);
      added.push(item);
    }
    picks.parentNode.hidden = !picks.children.length;
    if (!list.children.length && !picks.children.length) list.append(h("li", { class: "muted empty" }, t.empty));
    else list.querySelector(".empty")?.remove();
    more.hidden = !state.cursor;
    if (!next) showLinked();
    // The keyboard goes on to the first comment it brought.
    if (next && added.length) added[0].querySelector("article")?.focus();
  }

  // --- live: what changed while the page stays open -------------------------------------

  // The first page is asked again (the browser sends If-None-Match: a 304 from the server's
  // cache) 30 s after the last look, twice as late each time nothing changed, up to 5 min;
  // never while the tab is hidden, at once when it shows again. New comments wait behind a
  // bar, the page does not move under the reader; reactions and shares update in place.
  let seen, wait, timer, lookedAt;
  const news = h("button", { type: "button", class: "primary news", hidden: true, onclick: showNews });
  function watch(changed) {
    clearTimeout(timer);
    wait = changed ? 3e4 : Math.min(wait * 2, 3e5);
    // Up to a quarter later: readers who opened the page together do not ask together ever after.
    if (!document.hidden && container.isConnected) timer = setTimeout(look, wait * (1 + Math.random() / 4));
  }
  async function look() {
    lookedAt = Date.now();
    const answer = await api.thread(ref.article, state.sort, null);
    const text = answer.ok && JSON.stringify(answer.data);
    const changed = text && text !== seen;
    if (changed) {
      seen = text;
      engagement.show(answer.data.thread);
      const n = answer.data.thread.comment_count - state.thread.comment_count;
      const label = n > 0 ? t.news(n) : "";
      news.hidden = !label;
      if (label !== news.textContent) announce((news.textContent = label));
    }
    watch(changed);
  }
  async function showNews() {
    const before = new Set(shown);
    await load(false);
    // The keyboard goes to the first comment it brought (when it is on the first page).
    const item = [...list.querySelectorAll("[data-comment-id]")].find((el) => !before.has(+el.dataset.commentId));
    (item?.querySelector("article") || title).focus();
  }

  // A link to one comment (#comment-N, as the moderation pages give): scroll to it, mark it
  // and move the keyboard there, once, when it is on the page shown.
  let linkedShown = false;
  function showLinked() {
    const wanted = /^#comment-(\d+)$/.exec(location.hash);
    const item = wanted && !linkedShown && view.querySelector(`[data-comment-id="${wanted[1]}"]`);
    if (!item) return;
    linkedShown = true;
    view.querySelector(".is-linked")?.classList.remove("is-linked");
    item.classList.add("is-linked");
    item.querySelector("article")?.focus({ preventScroll: true });
    item.scrollIntoView({ block: "center" });
  }

  let engagement;
  function build(page) {
    engagement = engagementBars({ api, t, lang, ref, targets: page.share_targets || {}, myReaction, announce, errorMessage });
    const picksTitle = h("h3", { id: `engage-p-${++uid}` }, t.featured);
    const sort = h("select", { id: `engage-sort-${++uid}`, onchange: (e) => ((state.sort = e.target.value), load(false)) },
      Object.entries(t.sorts).map(([value, label]) => h("option", { value }, label)));
    clear(view,
      engagement.bars,
      h("div", { class: "head" }, title, h("label", { class: "sort" }, `${t.sort} `, sort)),
      page.thread.open
        ? commentForm({ collapsed: true, onDone: (data, text) => posted(data, text, list) })
        : h("p", { class: "status" }, t.closed),
      h("section", { class: "picks", "aria-labelledby": picksTitle.id, hidden: true }, picksTitle, picks),
      news, list, more);
    // A click on a comment's time (its permalink) marks it, as a shared link would.
    addEventListener("hashchange", () => ((linkedShown = false), showLinked()));
    shell.setAttribute("aria-labelledby", title.id);
    shell.removeAttribute("aria-label");
    // Keep "il y a 3 minutes" true while the page stays open.
    setInterval(() => {
      for (const time of root.querySelectorAll("time[data-relative]")) time.textContent = relativeTime(lang, time.dateTime);
    }, 60000);
  }

  load(false).then(() => {
    if (!state.thread) return;
    watch(1);
    // Back on the tab: a look at once, unless one was made (or is on its way) a moment ago.
    addEventListener("visibilitychange", () => (document.hidden || Date.now() - lookedAt < 3e4 ? watch(1) : look()));
  });
}
