// Bundle and minify the widget into static/embed.js (committed, so `pip install .` needs no
// Node). Its first line carries a hash of these sources: tests/test_embed_build.py fails when
// a source changed and embed.js was not rebuilt.
import { build, transform } from "esbuild";
import { minify } from "terser";
import { gzipAsync } from "@gfx/zopfli";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";

const here = new URL(".", import.meta.url).pathname;
const sources = readdirSync(here).filter((f) => /\.(js|css|mjs)$/.test(f) || f === "package.json").sort();
const hash = createHash("sha256");
for (const file of sources) hash.update(`${file}\0`).update(readFileSync(here + file)).update("\0");
const digest = hash.digest("hex").slice(0, 16);

const minifiedCss = {
  name: "minified-css-as-text",
  setup(b) {
    b.onLoad({ filter: /\.css$/ }, async (args) => {
      const css = await transform(readFileSync(args.path, "utf8"), { loader: "css", minify: true });
      return { contents: css.code.trim(), loader: "text" };
    });
  },
};

const options = { bundle: true, minify: true, target: ["es2020"], legalComments: "none", charset: "utf8", write: false };
// Short, since every reader downloads it: static/src/package.json says how to build.
const banner = (name) => `/* engage ${name} from static/src sources:${digest} */\n`;

// esbuild bundles; terser's extra passes then take a further 2-3% off what readers download.
async function squeeze(output, module) {
  const result = await minify(output.outputFiles[0].text, {
    module, ecma: 2020, compress: { passes: 3, unsafe_arrows: true, pure_getters: true }, mangle: { toplevel: true },
  });
  return result.code;
}

async function save(path, text) {
  const bytes = Buffer.from(text, "utf8");
  writeFileSync(path, bytes);
  // Pre-compressed once here, so that the server hands them out with no work per request;
  // zopfli's gzip is plain gzip to every browser, 3% smaller than zlib's best.
  writeFileSync(`${path}.gz`, await gzipAsync(bytes, { numiterations: 50 }));
  writeFileSync(`${path}.br`, brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }));
  console.log(`${path.slice(here.length - 7)}: ${bytes.length} bytes, sources ${digest}`);
}

const widget = await build({ ...options, entryPoints: [`${here}main.js`], format: "iife", plugins: [minifiedCss],
  define: { VERSION: JSON.stringify(digest) } });
await save(`${here}../embed.js`, banner("embed.js") + (await squeeze(widget, false)));
// One module per language, which embed.js imports for the page's language only (i18n.js).
mkdirSync(`${here}../embed`, { recursive: true });
for (const lang of ["fr", "en"]) {
  const strings = await build({ ...options, entryPoints: [`${here}strings-${lang}.js`], format: "esm" });
  await save(`${here}../embed/${lang}.js`, banner(`embed/${lang}.js`) + (await squeeze(strings, true)));
}
// The panels readers seldom open, which embed.js imports the first time one is (widget.js).
const panels = await build({ ...options, entryPoints: [`${here}panels.js`], format: "esm" });
await save(`${here}../embed/panels.js`, banner("embed/panels.js") + (await squeeze(panels, true)));
