// Renders the app's PNG icons from its SVG icons with headless Chromium, once, by hand:
//   cd tests/browser && node tools/render-icons.mjs
// The PNGs are committed (web/app/icon-*.png), so serving the pages needs no build step; run this
// again after changing an SVG. Android's install prompt wants PNG icons of 192 and 512 px and a
// maskable one; iOS ignores the manifest and SVG touch icons and takes apple-touch-icon.png.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../support.mjs';

const app = fileURLToPath(new URL('../../../web/app/', import.meta.url));
const ICONS = [
  ['icon.svg', 192, 'icon-192.png'],
  ['icon.svg', 512, 'icon-512.png'],
  ['icon-maskable.svg', 192, 'icon-maskable-192.png'],
  ['icon-maskable.svg', 512, 'icon-maskable-512.png'],
  ['icon-maskable.svg', 180, 'apple-touch-icon.png'],  // full bleed: iOS rounds the corners itself
];

const browser = await launchBrowser();
try {
  for (const [svg, size, png] of ICONS) {
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const source = readFileSync(app + svg, 'utf8').replace('<svg ', `<svg width="${size}" height="${size}" `);
    await page.setContent(`<html><body style="margin:0">${source}</body></html>`);
    // omitBackground keeps the rounded icon's corners transparent.
    writeFileSync(app + png, await page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } }));
    await page.close();
    console.log(`${png}: ${size}x${size}`);
  }
} finally {
  await browser.close();
}
