// Translation: every visible string comes from i18n/<lang>.json; Arabic switches the document to RTL.
import en from "./i18n/en.json";
import ar from "./i18n/ar.json";

export type Lang = "en" | "ar";
const CATALOGUES: Record<Lang, Record<string, string>> = { en, ar };
const STORAGE_KEY = "borderwatch.lang";
const listeners: Array<() => void> = [];

let current: Lang = (localStorage.getItem(STORAGE_KEY) as Lang | null) ?? "en";
if (!(current in CATALOGUES)) current = "en";

export function lang(): Lang {
  return current;
}

/** The string for `key` with `{name}` placeholders filled; the key itself when missing, so gaps show. */
export function t(key: string, params: Record<string, string | number> = {}): string {
  const text = CATALOGUES[current][key] ?? CATALOGUES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in params ? String(params[name]) : `{${name}}`));
}

/** Numbers in the language's digits (Arabic-Indic in Arabic), as operators read them. */
export function num(value: number, digits = 0): string {
  return new Intl.NumberFormat(current === "ar" ? "ar-IQ" : "en-GB", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  }).format(value);
}

export function age(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 90) return t("time.s", { n: num(s) });
  if (s < 5400) return t("time.min", { n: num(s / 60) });
  return t("time.h", { n: num(s / 3600, 1) });
}

/** Fill every [data-i18n] element under `root` and set the document's language and direction. */
export function applyDocument(root: ParentNode = document): void {
  document.documentElement.lang = current;
  document.documentElement.dir = current === "ar" ? "rtl" : "ltr";
  root.querySelectorAll<HTMLElement>("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n ?? "");
  });
}

export function setLang(next: Lang): void {
  current = next;
  localStorage.setItem(STORAGE_KEY, next);
  applyDocument();
  listeners.forEach((fn) => fn());
}

export function onLangChange(fn: () => void): void {
  listeners.push(fn);
}
