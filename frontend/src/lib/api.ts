// The browser's side of docs/API.md: everything goes to this origin's /api/v1, which the
// frontend server forwards to the backend (src/app/api/[...path]/route.ts).
import type {
  Account,
  AssessmentInput,
  Attribution,
  AssessmentResult,
  Me,
  ModelCard,
  PasswordReset,
  Problem,
  Screening,
  ScreeningPage,
} from "./types";

export const API = "/api/v1";

/** An error answer from the API (problem+json), or a network failure (`network_error`). */
export class ApiError extends Error {
  readonly problem: Problem;
  readonly retryAfter: number | null;

  constructor(problem: Problem, retryAfter: number | null = null) {
    super(`${problem.status} ${problem.code}${problem.detail ? `: ${problem.detail}` : ""}`);
    this.name = "ApiError";
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  get code(): string {
    return this.problem.code;
  }

  get status(): number {
    return this.problem.status;
  }
}

const STATUS_CODES: Record<number, string> = {
  400: "bad_request",
  401: "not_authenticated",
  403: "forbidden",
  404: "not_found",
  413: "file_too_large",
  415: "unsupported_type",
  422: "validation_error",
  429: "too_many_attempts",
  503: "not_ready",
};

/** Turns an error answer's status and body text into a Problem, whatever the body holds. */
export function toProblem(status: number, body: string): Problem {
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === "object" && "code" in parsed) {
      const p = parsed as Partial<Problem>;
      if (typeof p.code === "string") return { ...p, status: p.status ?? status, code: p.code };
    }
  } catch {
    // not JSON: fall through
  }
  return { status, code: STATUS_CODES[status] ?? "unknown" };
}

export function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : null;
}

export async function apiFetch<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  if (!headers.has("Accept")) headers.set("Accept", "application/json");
  let response: Response;
  try {
    response = await fetch(`${API}${path}`, {
      ...init,
      headers,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError({ status: 0, code: "network_error" });
  }
  return answerOf<T>(response);
}

/** The body of a successful answer; an ApiError (problem+json, Retry-After) for any other. */
export async function answerOf<T>(response: Response): Promise<T> {
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    throw new ApiError(
      toProblem(response.status, text),
      parseRetryAfter(response.headers.get("Retry-After")),
    );
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function jsonBody(body: unknown): RequestInit {
  return {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  };
}

export const getMe = () => apiFetch<Me>("/auth/me");
export const login = (username: string, password: string) =>
  apiFetch<Me>("/auth/login", jsonBody({ username, password }));
export const logout = () => apiFetch<void>("/auth/logout", { method: "POST" });
export const getModel = () => apiFetch<ModelCard>("/model");
export const changePassword = (current_password: string, new_password: string) =>
  apiFetch<void>("/auth/password", jsonBody({ current_password, new_password }));
export const listUsers = () => apiFetch<Account[]>("/users");
export const resetPassword = (username: string) =>
  apiFetch<PasswordReset>(
    `/users/${encodeURIComponent(username)}/password-reset`,
    { method: "POST" },
  );
export const getScreening = (id: string) =>
  apiFetch<Screening>(`/screenings/${encodeURIComponent(id)}`);
/** 200 with `ready`/`unavailable`, or 202 with `pending` (ask again after a second). */
export const getAttribution = (id: string) =>
  apiFetch<Attribution>(`/screenings/${encodeURIComponent(id)}/attribution`);
export const assess = (input: AssessmentInput) =>
  apiFetch<AssessmentResult>("/assessment", jsonBody(input));

export interface HistoryFilters {
  page: number;
  page_size: number;
  date_from?: string;
  date_to?: string;
  risk_band?: string;
  patient_ref?: string;
}

/** The query string for the list and the CSV export (empty filters left out). */
export function historyQuery(filters: Partial<HistoryFilters>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value !== undefined && value !== null && String(value).trim() !== "") {
      params.set(key, String(value).trim());
    }
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

export const listScreenings = (filters: HistoryFilters) =>
  apiFetch<ScreeningPage>(`/screenings${historyQuery(filters)}`);

export function exportUrl(filters: Partial<HistoryFilters>): string {
  const { page: _page, page_size: _size, ...rest } = filters;
  void _page;
  void _size;
  return `${API}/screenings/export.csv${historyQuery(rest)}`;
}
