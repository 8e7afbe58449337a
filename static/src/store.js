// What the widget remembers in this browser: the reader token (random, not an account), the
// name typed last, edit tokens of one's own comments, one's likes and reaction per article.
const memory = {};
const PREFIX = "engage:";

function read(key) {
  try {
    const raw = localStorage.getItem(PREFIX + key);
    return raw == null ? memory[key] : JSON.parse(raw);
  } catch {
    return memory[key]; // storage disabled (private mode, sandboxed iframe): keep it in memory
  }
}

function write(key, value) {
  memory[key] = value;
  try {
    if (value == null) localStorage.removeItem(PREFIX + key);
    else localStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    /* memory only */
  }
}

export function readerToken() {
  let token = read("reader");
  if (typeof token !== "string" || !/^[A-Za-z0-9_-]{16,128}$/.test(token)) {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    token = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    write("reader", token);
  }
  return token;
}

export const author = {
  get: () => read("author") || { name: "", email: "" },
  set: (name, email) => write("author", { name, email }),
};

export const edits = {
  // { id: {token, expires} }: dropped once expired, so the list stays small.
  all() {
    const now = Date.now();
    const kept = {};
    for (const [id, entry] of Object.entries(read("edits") || {})) {
      if (entry && entry.expires > now) kept[id] = entry;
    }
    return kept;
  },
  get(id) {
    return this.all()[id];
  },
  set(id, token, expires, body) {
    write("edits", { ...this.all(), [id]: { token, expires, body } });
  },
  drop(id) {
    const all = this.all();
    delete all[id];
    write("edits", all);
  },
};

export function perArticle(name, site, article) {
  const key = `${name}:${site}:${article}`;
  return { get: () => read(key), set: (value) => write(key, value) };
}
