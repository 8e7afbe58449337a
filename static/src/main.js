// embed.js: finds the thread container and the listing counters of the page that loads it.
import { client } from "./api.js";
import { mountThread } from "./widget.js";
import { fmt, pickLanguage, strings } from "./i18n.js";

function start(script) {
  const site = script.dataset.engageSite;
  if (!site) return;
  const api = client(new URL(script.src, location.href).origin, site);
  fillCounts(api);
  const container = document.getElementById("engage-thread");
  if (!container || container.shadowRoot) return;
  // Nothing is requested until the thread nears the viewport: free for readers who stop above.
  if (!("IntersectionObserver" in window)) return mountThread(container, api);
  const observer = new IntersectionObserver(
    (entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        observer.disconnect();
        mountThread(container, api);
      }
    },
    { rootMargin: "800px 0px" },
  );
  observer.observe(container);
}

// Listing pages: every [data-engage-count] element gets its article's comment count, all from
// one request (batches of 100, the API's limit).
async function fillCounts(api) {
  const lang = pickLanguage(document.documentElement);
  const elements = [...document.querySelectorAll("[data-engage-count]")];
  const articles = [...new Set(elements.map((el) => el.dataset.engageCount).filter(Boolean))];
  for (let i = 0; i < articles.length; i += 100) {
    const answer = await api.counts(articles.slice(i, i + 100));
    if (!answer.ok) continue;
    for (const el of elements) {
      const count = answer.data.counts[el.dataset.engageCount];
      if (!count) continue;
      // data-engage-count-format="long": the whole phrase, "1 commentaire", "12 commentaires".
      el.textContent = el.dataset.engageCountFormat === "long"
        ? strings(lang).commentsTitle(count.comments) : fmt(lang, count.comments);
    }
  }
}

const script = document.currentScript || document.querySelector("script[data-engage-site]");
if (script) {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => start(script));
  else start(script);
}
