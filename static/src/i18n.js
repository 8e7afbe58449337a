// Numbers, plurals, dates and the language of the page; the strings themselves live in one
// file per language (strings-fr.js, strings-en.js), so that a reader downloads only theirs.
function fmt(lang, n, compact) {
  // French: U+202F between thousands; compact: "1,2 k", where room is short.
  return new Intl.NumberFormat(lang, compact && { notation: "compact" }).format(n);
}

// "1 commentaire", "0 commentaire", "12 commentaires": the language's own plural rules
// (in French 0 and 1 take the singular, in English only 1).
function plural(lang, n, one, other) {
  return `${fmt(lang, n)} ${new Intl.PluralRules(lang).select(n) === "one" ? one : other}`;
}

export function pickLanguage(container) {
  const wanted = (container.dataset.engageLang || document.documentElement.lang || "en").toLowerCase();
  return wanted.startsWith("fr") ? "fr" : "en";
}

// The strings of one language, fetched once per page (and cached for good: the URL carries the
// build's version); null when the engage server cannot be reached.
const loaded = {};
export function loadStrings(base, lang) {
  loaded[lang] ||= import(`${base}/embed/${lang}.js?v=${VERSION}`)
    .then((module) => module.default((n, one, other) => plural(lang, n, one, other), (n) => fmt(lang, n)))
    .catch(() => null);
  return loaded[lang];
}

const UNITS = [
  ["year", 31536000],
  ["month", 2592000],
  ["week", 604800],
  ["day", 86400],
  ["hour", 3600],
  ["minute", 60],
];

// "il y a 3 minutes" / "3 minutes ago"; under a minute: "à l’instant" / "now".
export function relativeTime(lang, iso, now = Date.now()) {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const format = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return format.format(0, "second");
}

export function absoluteTime(lang, iso) {
  return new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" }).format(new Date(iso));
}

export { fmt, plural };
