// embed.js: finds the thread container and the listing counters of the page that loads it.
import { client } from "./api.js";
import { mountThread } from "./widget.js";
import { fmt, loadStrings, pickLanguage } from "./i18n.js";

// Shown when not even the strings could be fetched: the engage server is unreachable.
const UNREACHABLE = { fr: "Le service ne répond pas. Réessayez dans un instant.", en: "The service is not answering. Please try again in a moment." };

function start(script) {
  const site = script.dataset.engageSite;
  if (!site) return;
  const base = new URL(script.src, location.href).origin;
  const container = document.getElementById("engage-thread");
  const api = client(base, site, () => (container && container.dataset.engageSso) || (window.engageSSO ? window.engageSSO() : ""));
  fillCounts(api, base);
  if (!container || container.shadowRoot) return;
  loadStrings(base, pickLanguage(container)); // early: ready by the time the thread is in view
  const mount = async () => {
    const lang = pickLanguage(container);
    const t = await loadStrings(base, lang);
    if (t) mountThread(container, api, lang, t);
    else container.textContent = UNREACHABLE[lang];
  };
  // Nothing is requested until the thread nears the viewport: free for readers who stop above.
  if (!("IntersectionObserver" in window)) return mount();
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        mount();
      }
    },
    { rootMargin: "800px 0px" },
  );
  observer.observe(container);
}

// Listing pages: every [data-engage-count] element gets its article's comment count, all from
// one request (batches of 100, the API's limit).
async function fillCounts(api, base) {
  const lang = pickLanguage(document.documentElement);
  const elements = [...document.querySelectorAll("[data-engage-count]")];
  // The words only when a counter asks for them ("12 commentaires").
  const t = elements.some((el) => el.dataset.engageCountFormat === "long") && (await loadStrings(base, lang));
  const articles = [...new Set(elements.map((el) => el.dataset.engageCount).filter(Boolean))];
  for (let i = 0; i < articles.length; i += 100) {
    const answer = await api.counts(articles.slice(i, i + 100));
    if (!answer.ok) continue;
    for (const el of elements) {
      const count = answer.data.counts[el.dataset.engageCount];
      if (!count) continue;
      // data-engage-count-format="long": the whole phrase, "1 commentaire", "12 commentaires".
      el.textContent = t && el.dataset.engageCountFormat === "long" ? t.commentsTitle(count.comments) : fmt(lang, count.comments);
    }
  }
}

const script = document.currentScript || document.querySelector("script[data-engage-site]");
if (script) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(script));
  else start(script);
}
