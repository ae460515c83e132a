// End-to-end tests: the real backend (scripts/backend.sh, temp SQLite, a model package) and the
// built frontend (scripts/frontend.sh), driven through Debian's Chromium by playwright-core.
// Run by `make e2e` (part of `make test`) as `node --test e2e/`. Screenshots of every page
// go to frontend/test-results/e2e/.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const FRONTEND = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPO = path.resolve(FRONTEND, "..");
const PYTHON = path.join(REPO, ".venv", "bin", "python");
const MTECG = path.join(REPO, ".venv", "bin", "mtecg");
const SHOTS = path.join(FRONTEND, "test-results", "e2e");
const CHROMIUM = process.env.MTECG_E2E_CHROMIUM || "/usr/bin/chromium";
const READY_TIMEOUT_MS = Number(process.env.MTECG_E2E_READY_TIMEOUT_S || 240) * 1000;
const THAI = /[\u0E00-\u0E7F]/;
const REJECT_CODES = [
  "unsupported_type", "file_too_large", "empty_file", "corrupt_file", "image_too_large",
  "encrypted_pdf", "too_many_pages", "page_too_large", "pdf_too_complex", "processing_failed",
  "processing_timeout", "not_ecg", "unsupported_layout", "too_low_resolution", "unreadable",
  "profile_mismatch",
];
const NEW_PASSWORD = "a passphrase chosen for the ward";
const PATIENT_REF = "E2E-HN-0001";

/** models/demo when it has been built, else MTECG_E2E_MODEL_DIR. */
function modelDir() {
  const demo = path.join(REPO, "models", "demo");
  if (existsSync(path.join(demo, "model.json"))) return demo;
  const fallback = process.env.MTECG_E2E_MODEL_DIR;
  if (fallback && existsSync(path.join(fallback, "model.json"))) return fallback;
  throw new Error(
    "no model package: models/demo/model.json is missing and MTECG_E2E_MODEL_DIR is not set",
  );
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A child in its own process group, its output kept (and the backend's watched). */
function start(name, command, args, env) {
  const child = spawn(command, args, { cwd: REPO, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const proc = { name, child, out: "", err: "", exited: null };
  child.stdout.on("data", (chunk) => (proc.out += chunk));
  child.stderr.on("data", (chunk) => (proc.err += chunk));
  child.on("exit", (code, signal) => (proc.exited = { code, signal }));
  return proc;
}

async function stop(proc) {
  if (!proc || proc.exited) return;
  try {
    process.kill(-proc.child.pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 50 && !proc.exited; i++) await sleep(100);
  if (!proc.exited) {
    try {
      process.kill(-proc.child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
}

async function waitFor(url, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (proc.exited) {
      throw new Error(`${proc.name} exited (${JSON.stringify(proc.exited)}):\n${proc.err.slice(-3000)}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = String(error);
    }
    await sleep(500);
  }
  throw new Error(`${proc.name} not ready at ${url} after ${timeoutMs} ms: ${last}\n${proc.err.slice(-3000)}`);
}

const state = {};

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run make install`);
  if (!existsSync(path.join(FRONTEND, ".next", "standalone", "server.js"))) {
    throw new Error("the frontend is not built: run make build");
  }
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const tmp = mkdtempSync(path.join(os.tmpdir(), "mtecg-e2e-"));
  state.tmp = tmp;
  state.model = modelDir();

  // Inputs: a synthetic 12-lead PDF, a photo-like PNG with no ECG, a text file named .pdf.
  const synth = spawnSync(MTECG, [
    "synth", "--n", "1", "--seed", "3", "--layout", "a4-3x4-3r", "--format", "pdf", "--out", path.join(tmp, "synth"),
  ], { cwd: REPO, encoding: "utf8" });
  assert.equal(synth.status, 0, synth.stderr);
  state.pdf = path.join(tmp, "synth", "00000.pdf");
  assert.ok(existsSync(state.pdf), "mtecg synth made no PDF");
  state.photo = path.join(tmp, "photo.png");
  const photo = spawnSync(PYTHON, ["-c", `
import numpy as np
from PIL import Image
rng = np.random.default_rng(5)
h, w = 900, 1200
y, x = np.mgrid[0:h, 0:w]
sky = np.stack([90 + 80 * y / h, 140 + 60 * y / h, 220 - 40 * y / h], -1)
hill = (y > 500 + 80 * np.sin(x / 150))[..., None]
img = np.where(hill, np.stack([60 + 0 * x, 120 + 30 * np.cos(x / 90), 50 + 0 * x], -1), sky)
img = np.clip(img + rng.normal(0, 12, img.shape), 0, 255).astype(np.uint8)
Image.fromarray(img).save(${JSON.stringify(state.photo)})
`], { encoding: "utf8" });
  assert.equal(photo.status, 0, photo.stderr);
  state.noise = path.join(tmp, "noise.png");
  const noise = spawnSync(PYTHON, ["-c", `
import numpy as np
from PIL import Image
Image.fromarray(np.random.default_rng(1).integers(0, 256, (600, 800, 3), dtype=np.uint8)).save(${JSON.stringify(state.noise)})
`], { encoding: "utf8" });
  assert.equal(noise.status, 0, noise.stderr);
  state.fake = path.join(tmp, "notes.pdf");
  writeFileSync(state.fake, "these are notes, not a PDF\n");

  const [backendPort, frontendPort] = [await freePort(), await freePort()];
  state.backendUrl = `http://127.0.0.1:${backendPort}`;
  state.base = `http://127.0.0.1:${frontendPort}`;
  const backendEnv = {
    ...process.env,
    MTECG_DATABASE_URL: `sqlite:///${path.join(tmp, "e2e.db")}`,
    MTECG_DATA_DIR: path.join(tmp, "data"),
    MTECG_MODEL_DIR: state.model,
    MTECG_HOST: "127.0.0.1",
    MTECG_PORT: String(backendPort),
    MTECG_AUTH_ENABLED: "true",
    MTECG_ALLOWED_ORIGINS: state.base,
    MTECG_KEY_DIR: path.join(tmp, "keys"),
    MTECG_AUDIT_CHECKPOINT_FILE: path.join(tmp, "audit-checkpoints.jsonl"),
  };
  const migrate = spawnSync(path.join(REPO, "scripts", "backend.sh"), ["migrate"], {
    cwd: REPO, env: backendEnv, encoding: "utf8",
  });
  assert.equal(migrate.status, 0, `backend.sh migrate failed:\n${migrate.stdout}\n${migrate.stderr}`);
  state.backend = start("backend", path.join(REPO, "scripts", "backend.sh"), ["serve"], backendEnv);
  await waitFor(`${state.backendUrl}/readyz`, state.backend, READY_TIMEOUT_MS);
  for (let i = 0; i < 50 && !/one-time password: (\S+)/.test(state.backend.out); i++) await sleep(100);
  const match = /one-time password: (\S+)/.exec(state.backend.out);
  assert.ok(match, `the backend printed no one-time admin password:\n${state.backend.out}`);
  state.password = match[1];

  state.frontend = start("frontend", path.join(REPO, "scripts", "frontend.sh"), [], {
    ...process.env,
    PORT: String(frontendPort),
    HOSTNAME: "127.0.0.1",
    MTECG_BACKEND_URL: state.backendUrl,
  });
  await waitFor(`${state.base}/login`, state.frontend, 60_000);

  state.browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run",
    ],
  });
  state.context = await state.browser.newContext({
    viewport: { width: 1280, height: 900 },
    locale: "th-TH",
    timezoneId: "Asia/Bangkok",
  });
  // Every Content-Security-Policy violation on any page, as the page itself reports it and as
  // Chromium logs it; the last test asserts there were none.
  state.cspViolations = [];
  await state.context.exposeFunction("__cspViolation", (text) => state.cspViolations.push(text));
  await state.context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolation(`${event.violatedDirective} ${event.blockedURI} ${location.pathname}`);
    });
  });
  state.page = await state.context.newPage();
  state.page.setDefaultTimeout(30_000);
  state.page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) state.cspViolations.push(message.text());
  });
  // Nothing may leave this machine: any request that is not to the frontend's origin fails.
  await state.context.route(
    (url) => url.origin !== state.base,
    (route) => {
      state.outside = [...(state.outside ?? []), route.request().url()];
      return route.abort();
    },
  );
});

after(async () => {
  await state.browser?.close().catch(() => {});
  await stop(state.frontend);
  await stop(state.backend);
  if (state.tmp) rmSync(state.tmp, { recursive: true, force: true });
  console.log(`e2e screenshots: ${SHOTS}`);
});

async function shot(name, options = {}) {
  await state.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true, ...options });
}

test("a protected page sends a visitor to sign-in", async () => {
  const { page, base } = state;
  await page.goto(`${base}/history`);
  await page.waitForURL(/\/login\?next=%2Fhistory/);
  await page.getByLabel("ชื่อผู้ใช้").waitFor();
  const me = await page.request.get(`${base}/api/v1/auth/me`);
  assert.equal(me.status(), 401);
  assert.equal((await me.json()).code, "not_authenticated");
  await shot("01-sign-in");
  // Keyboard: the first Tab reaches the skip link, which leads straight to the form.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.className), "skip-link");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "username");
});

test("a wrong password is refused in Thai", async () => {
  const { page } = state;
  await page.getByLabel("ชื่อผู้ใช้").fill("admin");
  await page.getByLabel("รหัสผ่าน").fill("not-the-password");
  await page.getByRole("button", { name: "เข้าสู่ระบบ" }).click();
  const box = page.getByTestId("error-box");
  await box.waitFor();
  assert.equal(await box.getAttribute("data-code"), "invalid_credentials");
  assert.match(await box.innerText(), THAI);
});

test("the first admin signs in with the one-time password and must replace it", async () => {
  const { page, base } = state;
  await page.getByLabel("ชื่อผู้ใช้").fill("admin");
  await page.getByLabel("รหัสผ่าน").fill(state.password);
  await page.getByRole("button", { name: "เข้าสู่ระบบ" }).click();
  // A one-time password: only the password change is open until it is done.
  await page.waitForURL(`${base}/account`);
  await page.getByTestId("must-change").waitFor();
  const blocked = await page.request.get(`${base}/api/v1/screenings`);
  assert.equal(blocked.status(), 403);
  assert.equal((await blocked.json()).code, "password_change_required");
  await page.goto(`${base}/history`);
  await page.waitForURL(`${base}/account`);
  await page.getByLabel("รหัสผ่านปัจจุบัน").fill(state.password);
  await page.getByLabel("รหัสผ่านใหม่", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("ยืนยันรหัสผ่านใหม่").fill(NEW_PASSWORD);
  await shot("02-password-change");
  await page.getByTestId("change-password").click();
  await page.getByTestId("password-changed").waitFor();
  await page.getByLabel("ชื่อผู้ใช้").fill("admin");
  await page.getByLabel("รหัสผ่าน").fill(state.password);
  await page.getByRole("button", { name: "เข้าสู่ระบบ" }).click();
  await page.getByTestId("error-box").waitFor(); // the one-time password is spent
  await page.getByLabel("รหัสผ่าน").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "เข้าสู่ระบบ" }).click();
  await page.getByRole("heading", { name: "คัดกรองภาพคลื่นไฟฟ้าหัวใจ 12 ลีด" }).waitFor();
  await page.getByRole("link", { name: "ประวัติการคัดกรอง" }).click();
  await page.getByRole("heading", { name: "ประวัติการคัดกรอง" }).waitFor();
  await page.getByRole("link", { name: "คัดกรอง ECG" }).click();
  await page.getByRole("heading", { name: "คัดกรองภาพคลื่นไฟฟ้าหัวใจ 12 ลีด" }).waitFor();
  const model = await page.request.get(`${base}/api/v1/model`);
  assert.equal(model.status(), 200);
  state.card = await model.json();
  if (state.card.synthetic) await page.getByTestId("synthetic-banner").waitFor();
  // The layout profile is chosen in Thai, automatic by default, with a line on what it does.
  const profile = page.getByLabel("รูปแบบกระดาษ ECG");
  if (await profile.count()) {
    assert.equal(await profile.inputValue(), "auto");
    assert.match(await page.getByTestId("profile-help").innerText(), THAI);
    for (const text of await profile.locator("option").allInnerTexts()) assert.match(text, THAI);
  }
  // At 1280 px the header is one row: every item of it starts on the same line.
  const rows = await page.evaluate(() =>
    [...document.querySelectorAll(".header-inner > *, .main-nav li")].map((el) =>
      Math.round(el.getBoundingClientRect().top + el.getBoundingClientRect().height / 2),
    ),
  );
  assert.ok(Math.max(...rows) - Math.min(...rows) <= 12, `the header wraps at 1280 px: ${rows}`);
  await shot("02-screening");
});

test("a text file named .pdf is refused before upload", async () => {
  const { page } = state;
  let posted = false;
  const watch = (request) => {
    if (request.method() === "POST" && request.url().includes("/api/v1/screenings")) posted = true;
  };
  page.on("request", watch);
  await page.getByTestId("file-input").setInputFiles(state.fake);
  const box = page.getByTestId("error-box");
  await box.waitFor();
  assert.equal(await box.getAttribute("data-code"), "unsupported_type");
  page.off("request", watch);
  assert.equal(posted, false, "the browser uploaded a file it should have refused");
});

test("a synthetic 12-lead PDF is screened: both tasks, bands, reference marker, heatmaps", async () => {
  const { page } = state;
  await page.getByTestId("file-input").setInputFiles(state.pdf);
  await page.getByTestId("selected-file").waitFor();
  await page.getByLabel("รหัสอ้างอิงผู้ป่วย (ไม่บังคับ)").fill(PATIENT_REF);
  const answer = page.waitForResponse(
    (r) => r.url().endsWith("/api/v1/screenings") && r.request().method() === "POST",
    { timeout: 180_000 },
  );
  await page.getByTestId("submit-screening").click();
  const response = await answer;
  assert.equal(response.status(), 201, await response.text());
  state.screening = await response.json();
  const result = page.getByTestId("result");
  await result.waitFor();
  for (const task of ["scar", "lvef"]) {
    const shown = await page.getByTestId(`probability-${task}`).innerText();
    const expected = `${(state.screening.tasks[task].probability * 100).toFixed(1)} %`;
    assert.equal(shown, expected);
    const chip = page.getByTestId(`task-${task}`).locator(".band-chip");
    assert.equal(await chip.getAttribute("data-band"), state.screening.tasks[task].risk_band);
    assert.match(await chip.innerText(), THAI);
    // The decision at the model's threshold is what the card says first.
    const decision = page.getByTestId(`decision-${task}`);
    const above = state.screening.tasks[task].prediction;
    assert.equal(await decision.innerText(), above ? "สูงกว่าจุดตัดของโมเดล" : "ต่ำกว่าจุดตัดของโมเดล");
  }
  assert.equal(await page.getByTestId("threshold-marker").count(), 2);
  assert.equal(await result.getByTestId("patient-ref").innerText(), PATIENT_REF);
  const markers = Object.values(state.screening.tasks).filter((t) => t.reference_marker !== null).length;
  assert.equal(await page.getByTestId("reference-marker").count(), markers);
  await page.getByTestId("screening-aid").waitFor();
  if (state.screening.model.synthetic) await result.getByTestId("synthetic-badge").waitFor();
  assert.match(await page.getByTestId("layout-info").innerText(), /PDF/);

  // The per-lead attribution arrives after the answer; the viewer then knows whether the two
  // maps are one explanation (one shared choice and a note) or two.
  await page.getByTestId("attribution-chart").waitFor({ timeout: 120_000 });
  const attribution = await (
    await page.request.get(`${state.base}/api/v1/screenings/${state.screening.id}/attribution`)
  ).json();
  assert.equal(attribution.status, "ready");
  for (const task of ["scar", "lvef"]) {
    assert.equal(await page.getByTestId(`attribution-${task}`).getByRole("row").count(), 13);
  }
  // At "fit" all 12 leads are in view at once; the app's labels sit beside the ECG, never on
  // it, and over an overlay its label boxes (58 x 37 px from each panel's corner of the
  // 1402 x 2100 px image) are covered by the plain ECG: one label per lead from the app.
  const fit = await page.evaluate(() => {
    const viewport = document.querySelector(".heatmap-viewport");
    const image = document.querySelector(".heatmap-base").getBoundingClientRect();
    const view = viewport.getBoundingClientRect();
    const labels = [...document.querySelectorAll('[data-testid="lead-label"]')].map((label, i) => {
      const r = label.getBoundingClientRect();
      const col = Math.floor(i / 6);
      return {
        inView: r.top >= view.top - 1 && r.bottom <= view.bottom + 1 && r.left >= view.left - 1 && r.right <= view.right + 1,
        beside: col === 0 ? r.right <= image.left + 1 : r.left >= image.right - 1,
      };
    });
    const covers = [...document.querySelectorAll('[data-testid="label-cover"]')].map((cover, i) => {
      const r = cover.getBoundingClientRect();
      const [col, row] = [Math.floor(i / 6), i % 6];
      const x0 = image.left + (col * image.width) / 2;
      const y0 = image.top + (row * image.height) / 6;
      return (
        r.left <= x0 + 1 &&
        r.top <= y0 + 1 &&
        r.right >= x0 + (58 / 1402) * image.width &&
        r.bottom >= y0 + (37 / 2100) * image.height &&
        getComputedStyle(cover).backgroundImage.includes("canonical.png")
      );
    });
    return { scrolls: viewport.scrollHeight > viewport.clientHeight + 1, labels, covers };
  });
  assert.equal(fit.scrolls, false, "at fit the ECG scrolls inside the viewer");
  assert.equal(fit.labels.length, 12);
  assert.ok(fit.labels.every((l) => l.inView && l.beside), JSON.stringify(fit.labels));
  assert.equal(fit.covers.length, 12);
  assert.ok(fit.covers.every(Boolean), JSON.stringify(fit.covers));

  // Heatmaps: scar (or the shared map) by default, then LVEF, then the plain ECG.
  const overlay = page.getByTestId("heatmap-overlay");
  assert.match(await overlay.getAttribute("src"), /\/images\/scar\.png$/);
  if (attribution.maps.similar) {
    assert.match(await page.getByTestId("heatmap-similar").innerText(), THAI);
    assert.equal(await page.getByTestId("heatmap-mode-lvef").count(), 0);
    await page.getByTestId("heatmap-mode-shared").check();
  } else {
    await page.getByText("LVEF", { exact: true }).click();
    assert.match(await overlay.getAttribute("src"), /\/images\/lvef\.png$/);
  }
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid="heatmap-overlay"]');
    return img instanceof HTMLImageElement && img.complete && img.naturalWidth > 0;
  });
  await shot("03-result-lvef");
  await page.getByText("ECG อย่างเดียว", { exact: true }).click();
  assert.equal(await overlay.count(), 0);
  await page.getByTestId(attribution.maps.similar ? "heatmap-mode-shared" : "heatmap-mode-scar").check();
  await overlay.waitFor();
  await page.getByLabel("ความทึบของแผนที่ความร้อน").fill("50");
  assert.equal(await overlay.evaluate((img) => img.style.opacity), "0.5");
  await page.getByRole("button", { name: "ขยายเข้า" }).click();
  await shot("04-result-scar-zoomed");
});

test("the proxy streams a large upload to the backend", async () => {
  const { page, base } = state;
  // 15 MiB of noise: the backend must see all of it and answer with its own reason.
  const response = await page.request.post(`${base}/api/v1/screenings`, {
    headers: { Origin: base },
    multipart: {
      file: { name: "noise.png", mimeType: "image/png", buffer: Buffer.alloc(15 * 1024 * 1024, 7) },
    },
  });
  assert.equal(response.status(), 415);
  assert.equal((await response.json()).code, "unsupported_type");
  assert.ok(response.headers()["x-request-id"], "X-Request-ID is passed back");
});

test("a photo with no ECG is refused with the reason in Thai", async () => {
  const { page } = state;
  await page.getByRole("button", { name: "คัดกรองไฟล์ใหม่" }).click();
  await page.getByTestId("file-input").setInputFiles(state.photo);
  await page.getByTestId("submit-screening").click();
  const box = page.getByTestId("error-box");
  await box.waitFor({ timeout: 120_000 });
  const code = await box.getAttribute("data-code");
  assert.ok(REJECT_CODES.includes(code), `unexpected code ${code}`);
  assert.notEqual(code, "unsupported_type");
  const text = await box.innerText();
  assert.match(text, THAI);
  assert.match(text, /สิ่งที่ควรทำ/);
  assert.match(await page.getByTestId("error-reason").innerText(), THAI);
  await shot("05-rejected-photo");
});

test("random noise is refused as not an ECG, saying why", async () => {
  const { page } = state;
  await page.getByTestId("file-input").setInputFiles(state.noise);
  const answer = page.waitForResponse(
    (r) => r.url().endsWith("/api/v1/screenings") && r.request().method() === "POST",
    { timeout: 120_000 },
  );
  await page.getByTestId("submit-screening").click();
  const problem = await (await answer).json();
  assert.deepEqual([problem.code, problem.reason], ["not_ecg", "not_a_printout"]);
  const reason = page.getByTestId("error-reason");
  await page.waitForFunction(
    () => document.querySelector('[data-testid="error-reason"]')?.getAttribute("data-reason") === "not_a_printout",
  );
  assert.equal(await page.getByTestId("error-box").getAttribute("data-code"), "not_ecg");
  assert.equal(await reason.getAttribute("data-reason"), "not_a_printout");
  await shot("05-rejected-noise");
});

test("the screening is in the history, filtered by patient reference, and exported", async () => {
  const { page, base, screening } = state;
  await page.getByRole("link", { name: "ประวัติการคัดกรอง" }).click();
  await page.getByTestId("history-table").waitFor();
  const rows = page.getByTestId("history-row");
  await rows.first().waitFor();
  assert.ok((await rows.count()) >= 1);
  await page.getByLabel("ค้นหารหัสผู้ป่วย").fill(PATIENT_REF);
  await page.getByRole("button", { name: "ค้นหา", exact: true }).click();
  await page.getByText("ทั้งหมด 1 รายการ").waitFor();
  const row = await rows.first().innerText();
  assert.ok(row.includes(PATIENT_REF), "the HN is shown in clear to its own organisation");
  assert.match(row, /จุดตัดของโมเดล/);
  await shot("06-history");
  await page.getByLabel("ค้นหารหัสผู้ป่วย").fill("SOMEONE-ELSE");
  await page.getByRole("button", { name: "ค้นหา", exact: true }).click();
  await page.getByText("ทั้งหมด 0 รายการ").waitFor();
  await page.getByLabel("ระดับความเสี่ยง (งานใดงานหนึ่ง)").selectOption(screening.tasks.scar.risk_band);
  await page.getByLabel("ค้นหารหัสผู้ป่วย").fill(PATIENT_REF);
  await page.getByRole("button", { name: "ค้นหา", exact: true }).click();
  await page.getByText("ทั้งหมด 1 รายการ").waitFor();
  const href = await page.getByTestId("export-csv").getAttribute("href");
  assert.match(href, /export\.csv\?/);
  const csv = await page.request.get(`${base}${href}`);
  assert.equal(csv.status(), 200);
  assert.match(csv.headers()["content-type"], /text\/csv/);
  const bytes = await csv.body();
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "UTF-8 byte-order mark for Excel");
  const text = bytes.toString("utf8");
  assert.match(text, new RegExp(screening.id));
  assert.ok(text.includes(PATIENT_REF) && text.includes("วันเวลา"));
  assert.match(text, /\+07:00/);
});

test("the detail page shows the stored result, its images and a one-page print", async () => {
  const { page, base, screening } = state;
  await page.getByTestId("history-row").first().getByRole("link").click();
  await page.waitForURL(`${base}/screenings/${screening.id}`);
  await page.getByTestId("result").waitFor();
  assert.equal(
    await page.getByTestId("probability-scar").innerText(),
    `${(screening.tasks.scar.probability * 100).toFixed(1)} %`,
  );
  const image = await page.request.get(`${base}${await page.getByTestId("download-scar").getAttribute("href")}`);
  assert.equal(image.status(), 200);
  assert.equal(image.headers()["content-type"], "image/png");
  await page.waitForFunction(() =>
    [...document.querySelectorAll(".heatmap-stack img")].every((i) => i.complete && i.naturalWidth > 0),
  );
  await shot("07-detail");
  // A tablet in portrait: everything fits the width (no sideways scrolling of the page).
  await page.setViewportSize({ width: 820, height: 1180 });
  assert.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth),
    "the detail page is wider than a tablet",
  );
  await shot("07-detail-tablet");
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.emulateMedia({ media: "print" });
  await shot("08-detail-print");
  const pdf = path.join(SHOTS, "08-detail-report.pdf");
  await page.pdf({ path: pdf, format: "A4", printBackground: true, preferCSSPageSize: true });
  await page.emulateMedia({ media: "screen" });
  const pages = spawnSync(PYTHON, ["-c", "import sys, pymupdf; print(pymupdf.open(sys.argv[1]).page_count)", pdf], {
    encoding: "utf8",
  });
  assert.equal(pages.status, 0, pages.stderr);
  assert.equal(pages.stdout.trim(), "1", "the printed report is one A4 page");
});

test("the about page shows the model card, with the synthetic warning when synthetic", async () => {
  const { page } = state;
  await page.getByRole("link", { name: "เกี่ยวกับโมเดล" }).click();
  await page.getByRole("heading", { name: "เกี่ยวกับโมเดล", level: 1 }).waitFor();
  if (state.card.synthetic) {
    assert.match(await page.getByTestId("about-synthetic").innerText(), /ข้อมูลสังเคราะห์/);
  }
  const main = await page.locator("main").innerText();
  assert.match(main, new RegExp(state.card.id));
  // Metric names in Thai, the model card rendered from markdown (no raw markup left).
  if (state.card.metrics.length) {
    const metrics = await page.getByTestId("metrics-table").innerText();
    assert.ok(!/\bauc_ci_low\b/.test(metrics), "a metric is shown by its code");
    assert.match(metrics, /ขอบล่างช่วงความเชื่อมั่น/);
  }
  if (state.card.card_markdown) {
    const card = page.getByTestId("model-card");
    assert.ok((await card.locator("h1, h2, h3, p, li").count()) > 0);
    assert.ok(!/^#{1,6} /m.test(await card.innerText()), "markdown headings left as text");
  }
  await shot("09-about");
});

test("the questionnaire assessment answers four probabilities", async () => {
  const { page } = state;
  await page.getByRole("link", { name: "แบบประเมินความเสี่ยง" }).click();
  await page.getByLabel("ปีเกิด (พ.ศ.)").fill("2500");
  await page.getByLabel("หญิง").check();
  // The browser applies the API's own limits: 50 cm is refused before anything is sent (once
  // the limits have arrived from the API's schema, which the page reads after it renders).
  await page.locator('input[name="height_cm"][min]').waitFor();
  await page.getByLabel("ส่วนสูง (ซม.)").fill("50");
  await page.getByRole("button", { name: "ประเมิน", exact: true }).click();
  assert.notEqual(await page.getByLabel("ส่วนสูง (ซม.)").evaluate((el) => el.validationMessage), "");
  assert.equal(await page.getByTestId("assessment-result").count(), 0);
  await page.getByLabel("ส่วนสูง (ซม.)").fill("160");
  await page.getByLabel("น้ำหนัก (กก.)").fill("70");
  await page.getByLabel("เบาหวาน").check();
  await page.getByLabel("ภาวะหัวใจล้มเหลว").check();
  await page.getByRole("button", { name: "ประเมิน", exact: true }).click();
  const result = page.getByTestId("assessment-result");
  await result.waitFor();
  assert.equal(await result.locator(".task-card").count(), 4);
  await result.getByTestId("assessment-print").waitFor();
  await shot("10-assessment");
  await page.emulateMedia({ media: "print" });
  await shot("10-assessment-print");
  await page.pdf({ path: path.join(SHOTS, "10-assessment.pdf"), format: "A4", printBackground: true });
  await page.emulateMedia({ media: "screen" });
});

test("the API documentation renders with the network blocked", async () => {
  const { page, base } = state;
  const before = (state.outside ?? []).length;
  await page.goto(`${base}/api/v1/docs`);
  await page.locator(".swagger-ui .info .title").filter({ hasText: "mtecg" }).waitFor();
  await page.getByRole("button", { name: /Authorize/ }).first().waitFor();
  await page.locator(".opblock").first().waitFor();
  assert.equal((state.outside ?? []).length, before, `the docs asked outside: ${state.outside}`);
  await shot("12-api-docs");
  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "คัดกรองภาพคลื่นไฟฟ้าหัวใจ 12 ลีด" }).waitFor();
});

test("an address that is no page answers 404 with the Thai not-found page", async () => {
  const { page, base } = state;
  const response = await page.goto(`${base}/no-such-page`);
  assert.equal(response.status(), 404);
  const box = page.getByTestId("not-found");
  await box.waitFor();
  assert.match(await box.innerText(), THAI);
  await shot("13-not-found");
  await box.getByRole("link").click();
  await page.getByRole("heading", { name: "คัดกรองภาพคลื่นไฟฟ้าหัวใจ 12 ลีด" }).waitFor();
});

test("signing out ends the session", async () => {
  const { page, base } = state;
  await page.getByRole("button", { name: "ออกจากระบบ" }).click();
  await page.getByTestId("signed-out").waitFor();
  await shot("11-signed-out");
  const me = await page.request.get(`${base}/api/v1/auth/me`);
  assert.equal(me.status(), 401);
  await page.goto(`${base}/screenings/${state.screening.id}`);
  await page.waitForURL(/\/login\?next=/);
  const list = await page.request.get(`${base}/api/v1/screenings`);
  assert.equal(list.status(), 401);
  assert.deepEqual(state.outside ?? [], [], "the pages asked for nothing outside this origin");
});


test("every page ran under a strict CSP without a single violation", async () => {
  const { page, base } = state;
  const response = await page.request.get(`${base}/login`);
  const policy = response.headers()["content-security-policy"] ?? "";
  assert.match(policy, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  assert.match(policy, /frame-ancestors 'none'/);
  assert.doesNotMatch(policy, /unsafe-eval/);
  const nonce = /'nonce-([^']+)'/.exec(policy)[1];
  assert.ok((await response.text()).includes(`nonce="${nonce}"`), "Next's scripts carry the nonce");
  const api = await page.request.get(`${base}/api/v1/model`);
  assert.equal(api.headers()["x-content-type-options"], "nosniff");
  assert.match(api.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  assert.deepEqual(state.cspViolations, []);
});
