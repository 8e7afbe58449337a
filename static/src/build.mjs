// Bundle and minify the widget into static/embed.js (committed, so `pip install .` needs no
// Node). Its first line carries a hash of these sources: tests/test_embed_build.py fails when
// a source changed and embed.js was not rebuilt.
import { build, transform } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

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

const result = await build({
  entryPoints: [`${here}main.js`],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "none",
  charset: "utf8",
  write: false,
  plugins: [minifiedCss],
});
const banner = `/* engage embed.js sources:${digest} (built from static/src: npm ci && npm run build) */\n`;
const bundle = Buffer.from(banner + result.outputFiles[0].text, "utf8");
writeFileSync(`${here}../embed.js`, bundle);
// Pre-compressed once here, so that the server hands them out with no work per request.
writeFileSync(`${here}../embed.js.gz`, gzipSync(bundle, { level: 9 }));
writeFileSync(`${here}../embed.js.br`, brotliCompressSync(bundle, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bundle.length },
}));
console.log(`static/embed.js: ${result.outputFiles[0].text.length} bytes, sources ${digest}`);
