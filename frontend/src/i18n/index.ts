import { th, type MessageKey } from "./th";

export type { MessageKey };

/** The Thai text for `key`, with `{name}` placeholders filled from `vars`. */
export function t(key: MessageKey, vars?: Record<string, string | number>): string {
  const text: string = th[key];
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

/** Whether `key` is in the dictionary (for keys built at run time, e.g. from an error code). */
export function hasMessage(key: string): key is MessageKey {
  return Object.prototype.hasOwnProperty.call(th, key);
}

/** Thai reason and next step for an API error `code`; unknown codes get the generic text. */
export function errorText(code: string): { title: string; action: string } {
  const title = `error.${code}.title`;
  const action = `error.${code}.action`;
  if (hasMessage(title) && hasMessage(action)) return { title: t(title), action: t(action) };
  return { title: t("error.unknown.title"), action: t("error.unknown.action") };
}

/** Thai text for a rejection's `reason` (which check refused the page); null when none. */
export function reasonText(reason: string | undefined): string | null {
  const key = `reason.${reason ?? ""}`;
  return hasMessage(key) ? t(key) : null;
}
