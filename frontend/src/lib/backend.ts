// Server components' own calls to the backend, straight to MTECG_BACKEND_URL at request time
// (the browser's go through /api, src/lib/proxy.ts). Only for what needs no session: the model
// card and the OpenAPI schema are public, and a call made here carries neither the user's
// cookie nor the browser's address, which the backend audits with every read of patient data.
import { API, ApiError, answerOf } from "./api";
import { limitsOf, type Limit } from "./limits";
import { backendUrl } from "./proxy";
import type { ModelCard } from "./types";

async function backendGet<T>(path: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${backendUrl()}${API}${path}`, {
      headers: { Accept: "application/json" },
      cache: "no-store",
    });
  } catch {
    throw new ApiError({ status: 503, code: "not_ready" });
  }
  return answerOf<T>(response);
}

/** The loaded model's card (GET /model). */
export const modelCard = () => backendGet<ModelCard>("/model");

/**
 * The numeric limits of one request model in the API's OpenAPI schema, so that a form refuses
 * exactly what the API refuses; none when the schema cannot be read (the API still checks).
 */
export async function schemaLimits(model: string): Promise<Record<string, Limit>> {
  try {
    return limitsOf(await backendGet<unknown>("/openapi.json"), model);
  } catch {
    return {};
  }
}
