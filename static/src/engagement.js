// The article's reaction row and share bar, above the thread.
import { h } from "./dom.js";
import { fmt } from "./i18n.js";

const REACTIONS = { like: "👍", love: "❤️", haha: "😂", wow: "😮", sad: "😢", angry: "😡" };
// Line icons drawn on a 24-unit grid (stroked by the widget's CSS): no font or image to fetch.
const ICONS = {
  facebook: "M15 3h-2a4 4 0 0 0-4 4v14M6 10h8",
  x: "M4 4h4.5L20 20h-4.5zM19.5 4l-5.9 6.6M4.5 20l5.9-6.6",
  whatsapp: "M3.5 20.5l1.3-4.3A8.5 8.5 0 1 1 8 19.3zM9 8.5c0 3.5 3 6.5 6.5 6.5l1-1.5-2-1-1 .8c-1-.4-2.4-1.8-2.8-2.8l.8-1-1-2z",
  linkedin: "M3 3h18v18H3zM7.5 10.5v6M7.5 7.5v.01M11 16.5v-6M11 13a2.5 2.5 0 0 1 5 0v3.5",
  telegram: "M22 3L2 11l7 2 2 7 3-4 5 4zM9 13l13-10",
  email: "M3 5h18v14H3zM3 6l9 7 9-7",
  copy: "M10 13a5 5 0 0 0 7 0l3-3a5 5 0 0 0-7-7l-1 1M14 11a5 5 0 0 0-7 0l-3 3a5 5 0 0 0 7 7l1-1",
  native: "M12 3v12M7 8l5-5 5 5M5 12v8h14v-8",
};

function icon(name) {
  const span = h("span", { "aria-hidden": "true" });
  span.innerHTML = `<svg viewBox="0 0 24 24"><path d="${ICONS[name]}"/></svg>`; // constants only
  return span;
}

export function engagementBars({ api, t, lang, ref, targets, myReaction, announce, errorMessage }) {
  const reactionButtons = {};
  const reactions = h("div", { class: "bar reactions", role: "group", "aria-label": t.reactionsTitle });
  for (const [name, emoji] of Object.entries(REACTIONS)) {
    const count = h("span", { class: "count" });
    // Named by its label (a tip until hovered or focused), then its count: "J’aime 12".
    const button = h("button", { type: "button", class: "pill", "data-reaction": name, onclick: () => react(name) },
      h("span", { class: "emoji", "aria-hidden": "true" }, emoji), h("span", { class: "tip" }, t.reactions[name]), count);
    reactionButtons[name] = { button, count };
    reactions.append(button);
  }

  function showReactions(counts) {
    const mine = myReaction.get();
    for (const [name, { button, count }] of Object.entries(reactionButtons)) {
      count.textContent = counts[name] ? fmt(lang, counts[name], true) : ""; // a zero says nothing
      button.setAttribute("aria-pressed", String(mine === name));
    }
  }

  async function react(name) {
    const next = myReaction.get() === name ? null : name;
    const answer = await api.react(ref, next);
    if (!answer.ok) return announce(errorMessage(answer.error));
    myReaction.set(next);
    showReactions(answer.data.reactions);
  }

  const total = h("span", { class: "muted total" });
  const shares = h("div", { class: "bar shares", role: "group", "aria-label": t.sharesTitle });
  const pill = (network, label, attrs) =>
    h(attrs.href ? "a" : "button", { class: "pill", "data-network": network, ...attrs }, icon(network), h("span", { class: "tip" }, label));
  for (const network of Object.keys(t.networks)) {
    const target = targets[network];
    shares.append(target
      ? pill(network, t.networks[network], { href: fill(target), target: network === "email" ? null : "_blank",
          rel: "noopener noreferrer", onclick: () => share(network) })
      : pill(network, t.networks[network], { type: "button", onclick: copyLink }));
  }
  if (navigator.share) {
    shares.append(pill("native", t.nativeShare, { type: "button",
      onclick: () => navigator.share({ url: ref.url, title: ref.title }).catch(() => {}) }));
  }
  shares.append(total);

  function fill(template) {
    return template.replace("{url}", encodeURIComponent(ref.url)).replace("{title}", encodeURIComponent(ref.title));
  }

  function showShares(count) {
    total.textContent = count ? t.shares(count) : "";
  }

  async function share(network) {
    const answer = await api.share(ref, network);
    if (answer.ok) showShares(answer.data.share_total);
  }

  async function copyLink(event) {
    const tip = event.currentTarget.querySelector(".tip"); // gone once the handler awaits
    try {
      await navigator.clipboard.writeText(ref.url);
    } catch {
      return announce(t.copyFailed);
    }
    // Seen and heard: the tip says so for a moment, screen readers are told.
    tip.textContent = t.copiedShort;
    tip.classList.add("shown");
    setTimeout(() => {
      tip.textContent = t.networks.copy;
      tip.classList.remove("shown");
    }, 2500);
    announce(t.copied);
    share("copy");
  }

  return {
    bars: [reactions, shares],
    show(thread) {
      showReactions(thread.reactions);
      showShares(thread.share_total);
    },
  };
}
