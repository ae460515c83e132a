// Every dictionary key the code uses exists in src/i18n/th.ts, every error code the API and the
// pipeline can answer has a Thai reason and next step, and no Thai text lives outside th.ts.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { errorText, t } from "@/i18n";
import { th } from "@/i18n/th";

const FRONTEND = path.resolve(__dirname, "..");
const REPO = path.resolve(FRONTEND, "..");
const SRC = path.join(FRONTEND, "src");
const KEYS = new Set(Object.keys(th));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.(ts|tsx)$/.test(name) ? [full] : [];
  });
}

const FILES = sources(SRC).map((file) => ({ file, text: readFileSync(file, "utf8") }));
// Code that uses the dictionary (the dictionary module itself only documents `t("key")`).
const USERS = FILES.filter(({ file }) => !file.includes(`${path.sep}i18n${path.sep}`));

describe("the Thai dictionary", () => {
  it("has every key used as t(\"...\") in the code", () => {
    const used = new Set<string>();
    for (const { text } of USERS) {
      for (const match of text.matchAll(/\bt\(\s*"([^"]+)"/g)) used.add(match[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((key) => !KEYS.has(key));
    expect(missing).toEqual([]);
  });

  it("has keys for every t(`...${x}...`) template used in the code", () => {
    const patterns: string[] = [];
    for (const { text } of USERS) {
      for (const match of text.matchAll(/\bt\(\s*`([^`]+)`/g)) patterns.push(match[1]!);
      for (const match of text.matchAll(/(?:const|let) \w+(?:: MessageKey)? = `([a-z_.]+\$\{[^`]+)`/g)) {
        patterns.push(match[1]!);
      }
    }
    expect(patterns.length).toBeGreaterThan(5);
    for (const pattern of patterns) {
      const regex = new RegExp(`^${pattern.split(/\$\{[^}]+\}/).map((s) => s.replace(/\./g, "\\.")).join("[a-z_A-Z0-9]+")}$`);
      expect([...KEYS].some((key) => regex.test(key)), pattern).toBe(true);
    }
  });

  it("has no empty entries and fills placeholders", () => {
    for (const [key, value] of Object.entries(th)) expect(value.trim(), key).not.toBe("");
    expect(t("history.page", { page: 2, pages: 5 })).toBe("หน้า 2 จาก 5");
  });

  it("is the only place with Thai text in the code", () => {
    const offenders = FILES.filter(
      ({ file, text }) => !file.endsWith(path.join("i18n", "th.ts")) && /[\u0E00-\u0E7F]/.test(text),
    ).map(({ file }) => path.relative(FRONTEND, file));
    expect(offenders).toEqual([]);
  });

  it("explains every error code listed in docs/API.md, with a next step", () => {
    const api = readFileSync(path.join(REPO, "docs", "API.md"), "utf8");
    const section = api.slice(api.indexOf("Codes in use"), api.indexOf("- Every response has"));
    const codes = [...section.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!).filter((c) => c !== "field");
    expect(codes).toEqual(expect.arrayContaining(["not_ecg", "validation_error", "foreign_origin", "overloaded"]));
    expect(codes.length).toBeGreaterThanOrEqual(25);
    for (const code of codes) {
      expect(KEYS.has(`error.${code}.title`), code).toBe(true);
      expect(KEYS.has(`error.${code}.action`), code).toBe(true);
      expect(errorText(code).title).toBe(th[`error.${code}.title` as keyof typeof th]);
    }
  });

  it("explains every rejection code the pipeline has (mtecg.errors.RejectCode)", () => {
    const source = readFileSync(path.join(REPO, "backend", "mtecg", "errors.py"), "utf8");
    const errors = source.slice(source.indexOf("class RejectCode"), source.indexOf("class Reason"));
    const codes = [...errors.matchAll(/^\s+[A-Z_]+ = "([a-z_]+)"$/gm)].map((m) => m[1]!);
    expect(codes.length).toBeGreaterThanOrEqual(15);
    for (const code of codes) expect(KEYS.has(`error.${code}.action`), code).toBe(true);
  });

  it("falls back to a generic text for an unknown code", () => {
    expect(errorText("no_such_code")).toEqual({ title: t("error.unknown.title"), action: t("error.unknown.action") });
  });
});
