// Checks one page with axe-core in the system's Chromium (driven by puppeteer-core, which
// downloads no browser) and prints one JSON object: the violations at WCAG 2.1 A and AA,
// per viewport width, and every request the page made outside its own folder.
// Usage: node axe.mjs CHROMIUM PAGE.html [SCREENSHOT_PREFIX]
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(join(process.cwd(), "package.json"));
const puppeteer = require("puppeteer-core");
const axeSource = require.resolve("axe-core/axe.min.js");

const [chromium, pagePath, screenshots] = process.argv.slice(2);
const pageUrl = pathToFileURL(pagePath).href;
const folderUrl = pathToFileURL(dirname(pagePath)).href + "/";
const widths = [390, 1280];
const profile = mkdtempSync(join(tmpdir(), "reportpipe-chromium-"));
const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  userDataDir: profile,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const result = { axe: "", widths: {}, outside: [] };
try {
  for (const width of widths) {
    const page = await browser.newPage();
    await page.setViewport({ width, height: 900 });
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith(folderUrl) && !url.startsWith("data:")) result.outside.push(url);
    });
    await page.goto(pageUrl, { waitUntil: "load" });
    await page.addScriptTag({ path: axeSource });
    const found = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const run = await axe.run(document, {
        runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
        resultTypes: ["violations"],
      });
      // eslint-disable-next-line no-undef
      return { version: axe.version, violations: run.violations };
    });
    result.axe = found.version;
    result.widths[width] = found.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html.slice(0, 200) })),
    }));
    if (screenshots) {
      await page.screenshot({ path: `${screenshots}-${width}.png`, fullPage: false });
    }
    await page.close();
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
result.outside = [...new Set(result.outside)].sort();
process.stdout.write(JSON.stringify(result) + "\n");
